"""The registrar of the script without authentication (cfg/examples/registrar-proxy.routes: REGISTER
-> save("location"), usrloc in memory) against hand-made REGISTERs on loopback, RFC 3261 §10.3 step
by step: a new binding, its refresh, several contacts, a query, removing them all, the expires
limits (423 with Min-Expires, capped at max_expires, the default), an invalid Contact (400),
max_contacts (503), and a refresh that arrives out of order (same Call-ID, lower CSeq: 400). Every
200 lists every current binding of the AOR with its expires. After each test every UDP worker still
answers and the server stops cleanly. Also: save() after t_newtran() answers through the
transaction (a retransmission gets the same reply and is not processed again), and expires
limits that contradict each other or memory-only with db-only usrloc are refused at load."""

import time

from harness import check, check_config, check_eq
from location_flows import (Phone, binding_for, check_bindings, check_server_stops_cleanly,
                            check_status, check_workers_answer, contacts_of, registrar_server,
                            ul_contacts)


def _finish(srv):
    check_workers_answer(srv)
    check_server_stops_cleanly(srv)


# ---------------------------------------------------------------- add, refresh, several
def test_new_registration_is_answered_200_with_its_binding():
    with registrar_server() as srv, Phone(srv.addr, "alice") as phone:
        reply = phone.register([phone.contact()], expires=600)
        check_status(reply, 200, "first REGISTER")
        check_bindings(reply, [f"sip:alice@127.0.0.1:{phone.port}"], "first REGISTER")
        b = contacts_of(reply)[0]
        check(595 <= b.expires <= 600, f"expires of the new binding: {b.expires}")
        # RFC 3261 §10.3 step 8: the 200 copies To (with a tag added) and From
        check(reply.get("to").startswith(f"<sip:alice@127.0.0.1:{srv.port}>"), reply.get("to"))
        check(";tag=" in reply.get("to"), f"no To tag in the 200: {reply.get('to')}")
        _finish(srv)


def test_refresh_keeps_one_binding_with_the_new_expires():
    with registrar_server() as srv, Phone(srv.addr, "alice") as phone:
        check_status(phone.register([phone.contact()], expires=600), 200, "REGISTER")
        refreshed = phone.register([phone.contact()], expires=1200)
        check_status(refreshed, 200, "refresh (same Call-ID, CSeq + 1)")
        check_bindings(refreshed, [f"sip:alice@127.0.0.1:{phone.port}"], "refresh")
        check(1195 <= contacts_of(refreshed)[0].expires <= 1200,
              f"expires after the refresh: {contacts_of(refreshed)}")
        # A phone that restarted (new Call-ID) refreshes the same binding too (§10.3 step 7).
        phone.call_id = "rebooted-" + phone.call_id
        again = phone.register([phone.contact()], expires=300)
        check_status(again, 200, "REGISTER with a new Call-ID")
        check_bindings(again, [f"sip:alice@127.0.0.1:{phone.port}"], "new Call-ID")
        check(295 <= contacts_of(again)[0].expires <= 300, f"{contacts_of(again)}")
        _finish(srv)


def test_several_contacts_are_bound_and_all_listed():
    with registrar_server() as srv, Phone(srv.addr, "bob") as phone:
        desk = phone.contact("desk", 40001, ";q=0.9")
        mobile = phone.contact("mobile", 40002, ";q=0.4;expires=300")
        two = phone.register([desk, mobile], expires=900)
        check_status(two, 200, "REGISTER with two Contacts")
        check_bindings(two, ["sip:desk@127.0.0.1:40001", "sip:mobile@127.0.0.1:40002"],
                       "two contacts")
        # the Contact's expires parameter wins over the Expires header (§10.3 step 6)
        check(295 <= binding_for(two, "sip:mobile@127.0.0.1:40002").expires <= 300,
              f"{contacts_of(two)}")
        check(895 <= binding_for(two, "sip:desk@127.0.0.1:40001").expires <= 900,
              f"{contacts_of(two)}")
        check_eq(binding_for(two, "sip:desk@127.0.0.1:40001").q, 0.9, "q of desk")
        # a second phone of the same user, in its own REGISTER: the 200 lists all three
        with Phone(srv.addr, "bob") as other:
            three = other.register([other.contact("softphone")], expires=600)
            check_status(three, 200, "REGISTER from a second phone")
            check_bindings(three, ["sip:desk@127.0.0.1:40001", "sip:mobile@127.0.0.1:40002",
                                   f"sip:softphone@127.0.0.1:{other.port}"], "three contacts")
        _finish(srv)


def test_query_without_contact_lists_the_bindings_and_changes_nothing():
    with registrar_server() as srv, Phone(srv.addr, "carol") as phone:
        empty = phone.query()
        check_status(empty, 200, "query of an AOR with no binding")
        check_eq(contacts_of(empty), [], "bindings of an unknown AOR")
        check_status(phone.register([phone.contact()], expires=600), 200, "REGISTER")
        # RFC 3261 §10.2.3: a REGISTER without Contact (even with Expires: 0) only asks
        for expires in (None, 0):
            q = phone.query(expires=expires)
            check_status(q, 200, f"query (Expires {expires})")
            check_bindings(q, [f"sip:carol@127.0.0.1:{phone.port}"], "query")
            check(590 <= contacts_of(q)[0].expires <= 600, f"{contacts_of(q)}")
        _finish(srv)


def test_unregister_all_removes_every_binding():
    with registrar_server() as srv, Phone(srv.addr, "dave") as phone:
        check_status(phone.register([phone.contact("a", 40011), phone.contact("b", 40012)],
                                    expires=600), 200, "REGISTER")
        gone = phone.unregister_all()
        check_status(gone, 200, "Contact: * with Expires: 0")
        check_eq(contacts_of(gone), [], "bindings after Contact: *")
        check_eq(contacts_of(phone.query()), [], "bindings in a later query")
        # removing one binding by its own expires=0 leaves the others
        check_status(phone.register([phone.contact("a", 40011), phone.contact("b", 40012)],
                                    expires=600), 200, "REGISTER again")
        one = phone.register([phone.contact("a", 40011, ";expires=0")])
        check_status(one, 200, "REGISTER with expires=0 on one contact")
        check_bindings(one, ["sip:b@127.0.0.1:40012"], "after removing one")
        _finish(srv)


def test_star_contact_is_only_allowed_alone_with_expires_zero():
    """RFC 3261 §10.3 step 6: '*' with an Expires other than 0, or beside other Contacts,
    is a 400, and nothing changes."""
    with registrar_server() as srv, Phone(srv.addr, "erin") as phone:
        check_status(phone.register([phone.contact()], expires=600), 200, "REGISTER")
        check_status(phone.register(["*"], expires=600), 400, "Contact: * with Expires: 600")
        check_status(phone.register(["*"]), 400, "Contact: * without Expires")
        check_status(phone.register(["*", phone.contact("x", 40021)], expires=0), 400,
                     "Contact: * beside another Contact")
        check_bindings(phone.query(), [f"sip:erin@127.0.0.1:{phone.port}"],
                       "bindings after the refused requests")
        _finish(srv)


# ---------------------------------------------------------------- expires limits
def test_interval_too_brief_is_answered_423_with_min_expires():
    with registrar_server(registrar={"min_expires": 60}) as srv, \
            Phone(srv.addr, "frank") as phone:
        brief = phone.register([phone.contact()], expires=30)
        check_status(brief, 423, "REGISTER with Expires: 30 (min_expires 60)")
        check_eq(brief.get("min-expires"), "60", "Min-Expires of the 423 (RFC 3261 §10.3)")
        also = phone.register([phone.contact(params=";expires=5")], expires=3600)
        check_status(also, 423, "contact expires=5")
        check_eq(contacts_of(phone.query()), [], "nothing bound after a 423")
        # the phone retries with the Min-Expires it was given (§10.2.8)
        check_status(phone.register([phone.contact()], expires=60), 200, "Expires: 60")
        # Expires: 0 is never too brief
        check_status(phone.register([phone.contact()], expires=0), 200, "Expires: 0")
        check_eq(contacts_of(phone.query()), [], "bindings after Expires: 0")
        _finish(srv)


def test_expires_above_max_is_capped_and_missing_expires_gets_the_default():
    with registrar_server(registrar={"max_expires": 120, "default_expires": 90}) as srv, \
            Phone(srv.addr, "grace") as phone:
        long_ = phone.register([phone.contact()], expires=86400)
        check_status(long_, 200, "REGISTER with Expires: 86400 (max_expires 120)")
        check(115 <= contacts_of(long_)[0].expires <= 120,
              f"expires must be capped at 120: {contacts_of(long_)}")
        default = phone.register([phone.contact()])
        check_status(default, 200, "REGISTER without any expires")
        check(85 <= contacts_of(default)[0].expires <= 90,
              f"expires must be default_expires 90: {contacts_of(default)}")
        _finish(srv)


# ---------------------------------------------------------------- refused requests
def test_invalid_contact_is_answered_400_and_binds_nothing():
    with registrar_server() as srv, Phone(srv.addr, "heidi") as phone:
        bad = [
            "<sip:heidi@127.0.0.1:40031",             # unclosed <
            "<>",                                      # empty URI
            "garbage",                                 # not a URI
            "<sip:@127.0.0.1:40032>",                  # empty user part
            "<sip:heidi@127.0.0.1:40033>;q=7",          # q out of 0..1 (RFC 3261 §20.10)
            "sip:heidi@127.0.0.1:40034, <sip:x@y",      # a good one, then a broken one
            f"<sip:{'h' * 600}@127.0.0.1:40035>",        # beyond max_contact_len (512)
        ]
        for contact in bad:
            r = phone.register([contact], expires=600)
            check_status(r, 400, f"Contact: {contact[:60]}")
        check_eq(contacts_of(phone.query()), [], "bindings after the refused REGISTERs")
        _finish(srv)


def test_max_contacts_reached_is_refused_and_keeps_the_old_bindings():
    with registrar_server(registrar={"max_contacts": 2}) as srv, \
            Phone(srv.addr, "ivan") as phone:
        c1, c2, c3 = (phone.contact(n, p) for n, p in (("a", 40041), ("b", 40042),
                                                        ("c", 40043)))
        check_status(phone.register([c1, c2], expires=600), 200, "two contacts")
        third = phone.register([c3], expires=600)
        check_status(third, 503, "a third contact with max_contacts 2")
        check_bindings(phone.query(), ["sip:a@127.0.0.1:40041", "sip:b@127.0.0.1:40042"],
                       "bindings after the refused third")
        # refreshing the existing ones is not an addition
        check_status(phone.register([c1, c2], expires=300), 200, "refresh at the limit")
        # a REGISTER that removes one and adds another stays within the limit
        swap = phone.register([phone.contact("a", 40041, ";expires=0"), c3], expires=600)
        check_status(swap, 200, "remove one and add one")
        check_bindings(swap, ["sip:b@127.0.0.1:40042", "sip:c@127.0.0.1:40043"], "after swap")
        _finish(srv)


def test_out_of_order_refresh_is_refused_and_a_retransmission_is_answered_again():
    """RFC 3261 §10.3 step 7: same Call-ID and a lower CSeq than the binding's: the update is
    aborted (400). The same REGISTER again (a UDP retransmission whose 200 was lost) gets the
    200 again and changes nothing."""
    with registrar_server() as srv, Phone(srv.addr, "judy") as phone:
        req = phone.register_request([phone.contact()], expires=600, cseq=10)
        for attempt in ("CSeq 10", "CSeq 10 retransmitted"):
            phone.send(req, srv.addr)
            r = phone.expect_reply(3)
            check_status(r, 200, attempt)
            check_bindings(r, [f"sip:judy@127.0.0.1:{phone.port}"], attempt)
        stale = phone.register([phone.contact()], expires=60, cseq=9)
        check_status(stale, 400, "same Call-ID, CSeq 9")
        q = phone.query(cseq=11)
        check(590 <= contacts_of(q)[0].expires <= 600, f"binding changed: {contacts_of(q)}")
        _finish(srv)


# ---------------------------------------------------------------- stateful save, load checks
STATEFUL_REGISTRAR = """
route {
  if (is_method("REGISTER")) {
    if (!t_newtran()) {
      exit;
    }
    save("location");
    exit;
  }
  sl_send_reply(200, "OK");  # the keepalive OPTIONS of check_workers_answer()
}
"""


def test_stateful_save_answers_a_retransmission_with_the_same_reply():
    """t_newtran() then save(): the 200 goes out through the transaction, so tm absorbs the
    retransmitted REGISTER and sends that very 200 again (same Date, same expires, same To
    tag) and the registrar does not process it a second time."""
    # wt_timer: the completed transaction stays 5 s (the test default of 0.5 s is shorter than
    # the pause below).
    with registrar_server(routes=STATEFUL_REGISTRAR, tm={"wt_timer": 5000}) as srv, \
            Phone(srv.addr, "kate") as phone:
        req = phone.register_request([phone.contact()], expires=600)
        phone.send(req, srv.addr)
        first = phone.expect_reply(3)
        check(first is not None, "no reply to the REGISTER")
        check_status(first, 200, "REGISTER after t_newtran()")
        time.sleep(1.2)  # a second processing would show another Date and expires
        phone.send(req, srv.addr)
        again = phone.expect_reply(3)
        check(again is not None, "no reply to the retransmitted REGISTER")
        check_eq(again.raw, first.raw, "reply to the retransmission")
        check_eq(srv.stat("registrar:accepted_regs"), 1, "REGISTERs save() processed")
        check_eq(len(ul_contacts(srv, "kate")), 1, "bindings of kate")
        # A refused REGISTER is answered through its transaction too.
        brief = phone.register_request([phone.contact()], expires=3)
        phone.send(brief, srv.addr)
        r423 = phone.expect_reply(3)
        check_status(r423, 423, "REGISTER with Expires: 3 (min_expires 10)")
        phone.send(brief, srv.addr)
        check_eq(phone.expect_reply(3).raw, r423.raw, "reply to the retransmitted 423 case")
        check_eq(srv.stat("registrar:rejected_regs"), 1, "REGISTERs save() refused")
        _finish(srv)


def _check_refused(srv, *needles):
    res = check_config(srv.cfg)
    out = res.stdout + res.stderr
    check(res.returncode != 0, f"sipline -c accepted the configuration:\n{out}")
    for n in needles:
        check(n in out, f"{n!r} not in the error:\n{out}")


def test_default_expires_outside_min_and_max_is_refused_at_load():
    _check_refused(registrar_server(registrar={"default_expires": 30, "min_expires": 60}),
                   "default_expires (30)", "min_expires (60)")
    _check_refused(registrar_server(registrar={"default_expires": 7200, "max_expires": 3600}),
                   "default_expires (7200)", "max_expires (3600)")
    _check_refused(registrar_server(registrar={"min_expires": 600, "max_expires": 300,
                                               "default_expires": 400}),
                   "min_expires (600)", "max_expires (300)")
    ok = check_config(registrar_server(registrar={"default_expires": 60, "min_expires": 60,
                                                  "max_expires": 60}).cfg)
    check_eq(ok.returncode, 0, f"limits that agree: {ok.stdout}{ok.stderr}")


def test_memory_only_is_refused_at_load_in_db_only_mode():
    routes = 'route { if (is_method("REGISTER")) { save("location", "memory-only"); exit; } }'
    srv = registrar_server(routes=routes, usrloc={"db_mode": "db-only",
                                                  "db_url": "postgres://x@127.0.0.1:9/x"})
    _check_refused(srv, "memory-only", "db-only")
