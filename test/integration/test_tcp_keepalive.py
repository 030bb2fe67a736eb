"""CRLF keep-alives over a TCP connection that outlive the partial-message bound (20 s):
a phone's "\r\n" pong (RFC 5626 §4.4.1) is held by the framer in case it starts a ping, but
it is no message in progress, so the connection is not closed as "message too slow"; a
busy connection whose reads end inside the next message is not either, as long as messages
keep completing."""

import time

from harness import Server, check, check_eq
from stream_flows import MODULES, options, proxy_routes
from stream_peer import StreamPeer

# These tests wait out the server's 20 s partial-message bound: they run beside the others.
WAITS = True

PARTIAL_MESSAGE_S = 20  # core/transport/stream_send.h: partial_message_ms


def test_a_pong_and_messages_split_across_reads_do_not_count_as_a_slow_message():
    with Server(transports=("udp", "tcp"), modules=MODULES, routes=proxy_routes()) as srv:
        with StreamPeer.connect(srv.addr) as pong, StreamPeer.connect(srv.addr) as busy:
            pong.send(options(pong.port))
            check(pong.expect_reply() is not None, "OPTIONS before the pong")
            pong.send(b"\r\n")  # the pong to a ping of ours
            # The busy one: every send completes a message and starts the next.
            message = options(busy.port)
            busy.send(message[:20])
            end = time.monotonic() + PARTIAL_MESSAGE_S + 3
            answered = 0
            while time.monotonic() < end:
                next_message = options(busy.port)
                busy.send(message[20:] + next_message[:20])
                message = next_message
                if busy.expect_reply() is not None:
                    answered += 1
                time.sleep(1)
            busy.send(message[20:])
            check(busy.expect_reply() is not None, "the busy connection's last message")
            check(answered >= PARTIAL_MESSAGE_S, f"only {answered} messages answered")
            pong.send(options(pong.port))
            check(pong.expect_reply() is not None, "the connection that sent a pong was closed")
        check_eq(srv.stat("tcp:slow_messages"), 0, "tcp:slow_messages")


test_a_pong_and_messages_split_across_reads_do_not_count_as_a_slow_message.timeout = 90
