"""Keyed hashes that are stored or already in browsers keep their exact value: a change would orphan them."""

from counters.devices import code_hash
from portal.public.me_too import voter_cookie, voter_key
from portal.web.csrf import form_token

SECRET = "test-secret"
# Values computed by the code that wrote the rows and cookies in use today.
VOTER_TOKEN = "voter-token-1"
VOTER_SIGNATURE = "2d1e086d03caf42f6f99ea6ace2ba973"
VOTER_KEY = "51259852a28c04527028bc34334f813ee3181037ad178dc8fc4c2308d4a8949f"
CSRF_NONCE = "n" * 43
CSRF_TOKEN = "3cc77bd148f05cdd7536bd81e051db8a1e33f92c08d77c85c3cbc159dc0f60e9"
ENROLMENT_CODE_HASH = "838b52ecdfb37adad4b65485aa23bc07ab10b46b4e6034de90d28871e271c1fd"


def test_a_voter_cookie_from_before_keeps_its_browser_and_its_stored_votes():
    cookie = f"{VOTER_TOKEN}.{VOTER_SIGNATURE}"
    assert voter_cookie(SECRET, cookie) == cookie
    # me_too_vote.voter holds this value: the same cookie must give the same key.
    assert voter_key(SECRET, cookie) == VOTER_KEY


def test_a_voter_cookie_with_a_wrong_signature_is_replaced_and_counts_for_nothing():
    forged = f"{VOTER_TOKEN}.{'0' * 32}"
    assert voter_key(SECRET, forged) is None
    assert voter_cookie(SECRET, forged) != forged
    assert voter_key("another-secret", f"{VOTER_TOKEN}.{VOTER_SIGNATURE}") is None


def test_a_form_opened_before_keeps_its_csrf_token():
    assert form_token(SECRET, CSRF_NONCE) == (CSRF_NONCE, CSRF_TOKEN)


def test_an_enrolment_code_handed_out_before_still_matches_its_stored_hash():
    # kiosk.enrolment_code_hash holds this value; spacing and case of the typed code do not matter.
    assert code_hash(SECRET, "ab2c-d3e4") == ENROLMENT_CODE_HASH
    assert code_hash(SECRET, "AB2C D3E4") == ENROLMENT_CODE_HASH
