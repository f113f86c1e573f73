"""The despatch client against the simulator, over real loopback HTTP."""

import pytest
import requests

from aql.despatch import DespatchClient, Order, OrderStatus, StockLine
from aql.http import GatewayRejected, GatewayReplyUnreadable, GatewayUnreachable
from tests.conftest import PASSWORD, USERNAME

RECIPIENT = {"name": "John Smith", "company": "aql", "address": "11-15 Hunslet Road,Leeds",
             "postcode": "LS10 1JQ", "contact_no": "441133203040"}


def rejected_number(call) -> int:
    with pytest.raises(GatewayRejected) as caught:
        call()
    (number,) = caught.value.numbers
    return number


def test_a_despatched_order_is_processing_then_despatched_with_an_unused_sim_of_the_account(despatch, aqlsim):
    despatch.despatch(order_ref="ORD-1", **RECIPIENT)
    order = despatch.query(order_ref="ORD-1")
    assert (order.status, order.iccid) == (OrderStatus.PROCESSING, None)
    aqlsim.fake.advance(aqlsim.fake.faults.despatch_after)
    order = despatch.query(order_ref="ORD-1")
    assert order.status == OrderStatus.DESPATCHED
    assert aqlsim.fake.sim(order.iccid).state == "unused"


def test_despatch_consumes_stock(despatch):
    before = despatch.check_stock()
    despatch.despatch(order_ref="ORD-2", **RECIPIENT)
    after = despatch.check_stock()
    assert after[0].quantity == before[0].quantity - 1


def test_the_spec_order_query_example_is_read_exactly(despatch, aqlsim):
    aqlsim.fake.put_order("EXAMPLE", **RECIPIENT, iccid="1234567890123", status="despatched")
    assert despatch.query(order_ref="EXAMPLE") == Order(**RECIPIENT, iccid="1234567890123",
                                                         status=OrderStatus.DESPATCHED)


def test_the_spec_stock_example_is_read_exactly(despatch):
    assert despatch.check_stock() == [StockLine("AQL-123", 2031), StockLine("ABC-456", 20000)]


def test_every_request_carries_the_order_ref_and_no_password_in_the_url(despatch, aqlsim):
    despatch.despatch(order_ref="ORD-3", **RECIPIENT)
    despatch.query(order_ref="ORD-3")
    despatch.check_stock(order_ref="stock-1")
    for call in aqlsim.fake.calls:
        assert call.method == "POST" and call.query_string == ""
        assert call.params["order_ref"]
        assert PASSWORD not in call.path
    assert PASSWORD not in repr(despatch)


def test_a_cancelled_order_reads_as_cancelled(despatch, aqlsim):
    aqlsim.fake.faults.cancel_rate = 1.0
    despatch.despatch(order_ref="ORD-4", **RECIPIENT)
    aqlsim.fake.advance(aqlsim.fake.faults.despatch_after)
    assert despatch.query(order_ref="ORD-4").status == OrderStatus.CANCELLED


def test_a_wrong_password_gives_1_authentication_error(aqlsim):
    client = DespatchClient(url=aqlsim.despatch_url, username=USERNAME, password="nope", timeout=2)
    assert rejected_number(lambda: client.check_stock()) == 1


def test_a_missing_recipient_field_gives_2_missing_parameters(despatch):
    assert rejected_number(lambda: despatch.despatch(order_ref="ORD-5", **(RECIPIENT | {"name": ""}))) == 2


def test_no_stock_gives_3_insufficient_sims(despatch, aqlsim):
    aqlsim.fake.account.stock = {"AQL-123": 0}
    with pytest.raises(GatewayRejected) as caught:
        despatch.despatch(order_ref="ORD-6", **RECIPIENT)
    assert caught.value.numbers == (3,)
    assert "not enough SIMs" in caught.value.codes[0].message


def test_an_unknown_command_gives_8(aqlsim):
    body = {"username": USERNAME, "password": PASSWORD, "order_ref": "X", "command": "cancel"}
    reply = requests.post(aqlsim.despatch_url, data=body, timeout=2).text
    assert reply.startswith("8: Unrecognised Command")


def test_a_reused_order_ref_gives_9_and_no_second_order(despatch, aqlsim):
    despatch.despatch(order_ref="ORD-7", **RECIPIENT)
    assert rejected_number(lambda: despatch.despatch(order_ref="ORD-7", **RECIPIENT)) == 9
    assert despatch.check_stock()[0].quantity == 2031 - 1


def test_querying_an_unknown_order_gives_9(despatch):
    assert rejected_number(lambda: despatch.query(order_ref="NOPE")) == 9


def test_a_garbled_reply_raises_unreadable(despatch, aqlsim):
    aqlsim.fake.faults.malformed_rate = 1.0
    with pytest.raises(GatewayReplyUnreadable):
        despatch.check_stock()


def test_a_hung_despatch_times_out_as_unreachable(aqlsim):
    aqlsim.fake.faults.hang_rate = 1.0
    aqlsim.fake.faults.hang_seconds = 2.0
    client = DespatchClient(url=aqlsim.despatch_url, username=USERNAME, password=PASSWORD, timeout=0.3)
    with pytest.raises(GatewayUnreachable):
        client.despatch(order_ref="ORD-8", **RECIPIENT)


def canned(body: bytes):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    return app


@pytest.mark.parametrize("body", [b"", b"Successful", b"0: Successful\nAQL-123:lots", b"0: Successful\nnonsense"])
def test_stock_replies_we_cannot_read_raise_unreadable(serve, body):
    client = DespatchClient(url=serve(canned(body)), username=USERNAME, password=PASSWORD, timeout=2)
    with pytest.raises(GatewayReplyUnreadable):
        client.check_stock()


def test_an_order_reply_without_a_status_is_unreadable(serve):
    client = DespatchClient(url=serve(canned(b"0: Successful\r\nname:A\r\naddress:B\r\npostcode:C\r\n")),
                            username=USERNAME, password=PASSWORD, timeout=2)
    with pytest.raises(GatewayReplyUnreadable, match="status"):
        client.query(order_ref="X")
