"""How a cancelled transaction reaches the caller: failed conditions by name, or a retryable
409 when DynamoDB cancelled it only because another transaction held an item."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
from pynamodb.transactions import TransactWrite

from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict


def cancelled_with(*codes: str | None) -> TransactWriteError:
    reasons = [CancellationReason(code=code) if code else None for code in codes]
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
        "TransactWriteItems",
        cancellation_reasons=reasons,
    )
    return TransactWriteError("cancelled", cause=cause)


@pytest.fixture
def dynamodb_answers(monkeypatch: pytest.MonkeyPatch):
    def answer(error: TransactWriteError) -> None:
        def exit_(self, *args):  # noqa: ANN001, ANN202 - stands in for the DynamoDB call
            raise error

        monkeypatch.setattr(TransactWrite, "__exit__", exit_)

    return answer


def test_failed_conditions_are_named(aws: None, dynamodb_answers) -> None:
    dynamodb_answers(cancelled_with(None, "ConditionalCheckFailed"))
    with pytest.raises(TransactionCancelled) as cancelled, Transaction() as write:
        write.delete(User("a"), label="first")
        write.delete(User("b"), label="second")
    assert cancelled.value.failed == {"second"}


def test_a_conflict_with_another_transaction_is_a_retryable_409(aws: None, dynamodb_answers):
    dynamodb_answers(cancelled_with("TransactionConflict", None))
    with pytest.raises(Conflict) as conflict, Transaction() as write:
        write.delete(User("a"), label="first")
        write.delete(User("b"), label="second")
    assert conflict.value.status == 409 and conflict.value.code == "concurrent_change"
