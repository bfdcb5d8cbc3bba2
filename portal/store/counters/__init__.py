"""Counter tables: kiosks and button boxes, their choices, clerks' corrections."""
