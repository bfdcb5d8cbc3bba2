"""Administration pages: services, offices, kiosks, staff accounts, topics and digest subscriptions."""
