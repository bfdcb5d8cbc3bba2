"""Who a limit counts against, and that the limiter's memory stays bounded."""

from portal.web.ratelimit import RateLimiter, client_key


def test_ipv6_clients_in_one_64_share_a_limit_and_ipv4_stays_per_address():
    one = client_key(("2001:db8:1:2::1", 1), None, ())
    assert one == client_key(("2001:db8:1:2:ffff:ffff:ffff:fffe", 1), None, ())
    assert one != client_key(("2001:db8:1:3::1", 1), None, ())
    assert client_key(("192.0.2.7", 1), None, ()) == "192.0.2.7"
    assert client_key(("::ffff:192.0.2.7", 1), None, ()) == "192.0.2.7"


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy():
    assert client_key(("10.0.0.1", 1), "2001:db8:9:9::5, 10.0.0.1", ("10.0.0.1",)) == "2001:db8:9:9::/64"
    assert client_key(("192.0.2.9", 1), "198.51.100.1", ("10.0.0.1",)) == "192.0.2.9"


def test_a_flood_of_new_clients_cannot_grow_the_limiter_beyond_its_bound():
    limiter = RateLimiter(5, 60, max_clients=100)
    for n in range(1_000):
        limiter.hit(f"client-{n}", now=1.0)  # all active: nothing is idle to forget
    assert len(limiter._hits) == 100
    assert limiter.hit("client-999", now=1.0) == 0  # the newest keep their history
