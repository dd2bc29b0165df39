from chalicelib.accounts import passwords


def test_a_password_verifies_against_its_own_hash_only() -> None:
    stored = passwords.hash_password("correct horse")
    assert passwords.verify_password("correct horse", stored)
    assert not passwords.verify_password("correct horsf", stored)
    assert "correct horse" not in stored


def test_each_hash_has_its_own_salt() -> None:
    first, second = (passwords.hash_password("same password") for _ in range(2))
    assert first != second
    assert first.startswith("scrypt$16384$8$1$")


def test_a_corrupt_stored_hash_never_verifies() -> None:
    for stored in ["", "scrypt$1$2", "bcrypt$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"]:
        assert not passwords.verify_password("anything", stored)
