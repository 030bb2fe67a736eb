#include "core/script/module_hints.h"

namespace sipline::script {

namespace {

struct Hint {
  const char* function;
  const char* module;
};

// clang-format off
constexpr Hint kHints[] = {
    {"sl_send_reply", "sl"}, {"sl_reply_error", "sl"}, {"send_reply", "sl"},
    {"t_relay", "tm"}, {"t_reply", "tm"}, {"t_newtran", "tm"}, {"t_on_failure", "tm"},
    {"t_on_branch", "tm"}, {"t_on_reply", "tm"}, {"t_check_status", "tm"},
    {"t_check_trans", "tm"}, {"t_was_cancelled", "tm"}, {"t_set_fr", "tm"},
    {"record_route", "rr"}, {"record_route_preset", "rr"}, {"loose_route", "rr"},
    {"add_rr_param", "rr"}, {"check_route_param", "rr"}, {"is_direction", "rr"},
    {"save", "registrar"}, {"lookup", "registrar"}, {"registered", "registrar"},
    {"remove", "registrar"},
    {"mf_process_maxfwd_header", "maxfwd"}, {"is_maxfwd_lt", "maxfwd"},
    {"sanity_check", "sanity"},
    {"www_challenge", "auth"}, {"proxy_challenge", "auth"}, {"consume_credentials", "auth"},
    {"www_authorize", "auth_db"}, {"proxy_authorize", "auth_db"},
    {"append_hf", "textops"}, {"insert_hf", "textops"}, {"remove_hf", "textops"},
    {"is_present_hf", "textops"}, {"search", "textops"}, {"search_body", "textops"},
    {"subst", "textops"}, {"subst_uri", "textops"}, {"subst_user", "textops"},
    {"replace", "textops"}, {"has_body", "textops"}, {"is_content_type", "textops"},
    {"create_dialog", "dialog"}, {"validate_dialog", "dialog"}, {"match_dialog", "dialog"},
    {"nat_uac_test", "nathelper"}, {"fix_nated_contact", "nathelper"},
    {"fix_nated_register", "nathelper"}, {"fix_nated_sdp", "nathelper"},
    {"rtpengine_offer", "rtpengine"}, {"rtpengine_answer", "rtpengine"},
    {"rtpengine_delete", "rtpengine"}, {"rtpengine_manage", "rtpengine"},
    {"rtpengine_use_set", "rtpengine"}, {"add_rcv_param", "nathelper"},
    {"rtpproxy_offer", "rtpproxy"}, {"rtpproxy_answer", "rtpproxy"},
    {"rtpproxy_unforce", "rtpproxy"}, {"rtpproxy_use_set", "rtpproxy"},
    {"unforce_rtp_proxy", "rtpproxy"},
    {"ds_select_dst", "dispatcher"}, {"ds_next_dst", "dispatcher"},
    {"ds_is_in_list", "dispatcher"}, {"ds_mark_dst", "dispatcher"},
    {"allow_routing", "permissions"}, {"check_address", "permissions"},
    {"check_source_address", "permissions"},
    {"is_from_local", "domain"}, {"is_uri_host_local", "domain"}, {"is_domain_local", "domain"},
    {"alias_db_lookup", "alias_db"}, {"alias_db_find", "alias_db"},
    {"db_is_user_in", "group"}, {"is_user_in", "group"}, {"get_source_group", "permissions"},
    {"ds_select_domain", "dispatcher"}, {"ds_next_domain", "dispatcher"},
    {"ds_is_from_list", "dispatcher"},
    {"avp_db_load", "avpops"}, {"avp_db_store", "avpops"}, {"avp_db_delete", "avpops"},
    {"avp_db_query", "avpops"}, {"avp_pushto", "avpops"}, {"avp_check", "avpops"},
    {"is_avp_set", "avpops"}, {"set_accept_filter", "uac_redirect"},
    {"set_deny_filter", "uac_redirect"},
    {"get_redirects", "uac_redirect"}, {"acc_log_request", "acc"}, {"acc_db_request", "acc"},
    {"sip_trace", "siptrace"},
};
// clang-format on

}  // namespace

const char* moduleOfFunction(std::string_view function) {
  for (const Hint& h : kHints) {
    if (function == h.function) return h.module;
  }
  return nullptr;
}

}  // namespace sipline::script
