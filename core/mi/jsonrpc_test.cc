// Tests for the MI registry and the JSON-RPC 2.0 layer: calls by name and by position, batches,
// notifications, every error code, and the built-in commands.
#include "core/mi/jsonrpc.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>

#include "core/mi/json.h"
#include "core/mi/mi_registry.h"

namespace sipline {
namespace {

Json call(const MiRegistry& registry, const std::string& request) {
  std::string response = handleJsonRpc(registry, request);
  Json parsed = Json::parse(response, nullptr, false);
  CPPUNIT_ASSERT_MESSAGE("response is not JSON: " + response, !parsed.is_discarded());
  return parsed;
}

int errorCode(const Json& response) { return response.at("error").at("code").get<int>(); }

std::string errorMessage(const Json& response) {
  return response.at("error").at("message").get<std::string>();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class JsonRpcTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(JsonRpcTest);
  CPPUNIT_TEST(callsByName);
  CPPUNIT_TEST(callsByPosition);
  CPPUNIT_TEST(nullFillsAnOptionalPositionalSlot);
  CPPUNIT_TEST(echoesStringNumberAndNullIds);
  CPPUNIT_TEST(batchAnswersInOrderWithoutNotifications);
  CPPUNIT_TEST(notificationGetsNoResponse);
  CPPUNIT_TEST(notificationOnlyBatchGetsNoResponse);
  CPPUNIT_TEST(parseErrorSaysWhere);
  CPPUNIT_TEST(invalidRequestsAreAnswered);
  CPPUNIT_TEST(emptyBatchIsInvalid);
  CPPUNIT_TEST(batchOfNonObjectsAnswersEach);
  CPPUNIT_TEST(unknownMethodIsNamedWithSuggestions);
  CPPUNIT_TEST(wrongTypeNamesParamAndExpectedType);
  CPPUNIT_TEST(missingRequiredParamIsNamed);
  CPPUNIT_TEST(unknownParamNameIsRejected);
  CPPUNIT_TEST(tooManyPositionalParamsAreRejected);
  CPPUNIT_TEST(anyParamTakesAList);
  CPPUNIT_TEST(handlerStatusBecomesServerError);
  CPPUNIT_TEST(throwingHandlerBecomesInternalError);
  CPPUNIT_TEST(invalidUtf8InResultIsReplaced);
  CPPUNIT_TEST(deeplyNestedInputDoesNotCrash);
  CPPUNIT_TEST(whichListsSortedNames);
  CPPUNIT_TEST(helpDescribesACommand);
  CPPUNIT_TEST(helpOfUnknownCommandIsNotFound);
  CPPUNIT_TEST(registryRejectsDuplicatesAndBadNames);
  CPPUNIT_TEST(paramsFallBackWhenAbsent);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    registry_ = MiRegistry();
    registerBuiltinMiCommands(registry_);
    add({"echo",
         {{"text", MiParamType::kString, false, "what to echo"},
          {"count", MiParamType::kInt, true, "repeat"},
          {"loud", MiParamType::kBool, true, "upper case"}},
         "Echoes its params.",
         "test",
         [](const MiParams& p) -> Result<Json> {
           Json out = Json::object();
           out["text"] = p.str("text");
           out["count"] = p.integer("count", 1);
           out["loud"] = p.boolean("loud");
           out["has_count"] = p.has("count");
           return out;
         }});
    add({"sum",
         {{"values", MiParamType::kAny, false, "a list of ints"}},
         "Adds a list.",
         "test",
         [](const MiParams& p) -> Result<Json> {
           const Json& values = p.raw("values");
           if (!values.is_array()) return Status::invalidArgument("values: want a list");
           std::int64_t total = 0;
           for (const Json& v : values) total += v.get<std::int64_t>();
           return Json(total);
         }});
    add({"fail", {}, "Always fails.", "test", [](const MiParams&) -> Result<Json> {
           return Status::notFound("no such AOR: bob");
         }});
    add({"throw_std",
         {},
         "Throws std::runtime_error.",
         "test",
         [](const MiParams&) -> Result<Json> { throw std::runtime_error("boom"); }});
    add({"throw_int", {}, "Throws an int.", "test", [](const MiParams&) -> Result<Json> {
           throw 42;
         }});
    add({"bad_utf8", {}, "Returns invalid UTF-8.", "test", [](const MiParams&) -> Result<Json> {
           return Json(std::string{'a', '\xff', 'b'});
         }});
  }

  void callsByName() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"echo",)"
                             R"("params":{"text":"hi","count":3,"loud":true},"id":1})");
    CPPUNIT_ASSERT_EQUAL(std::string("2.0"), r.at("jsonrpc").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(1, r.at("id").get<int>());
    CPPUNIT_ASSERT(!r.contains("error"));
    const Json& result = r.at("result");
    CPPUNIT_ASSERT_EQUAL(std::string("hi"), result.at("text").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(3, result.at("count").get<int>());
    CPPUNIT_ASSERT(result.at("loud").get<bool>());
  }

  void callsByPosition() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"echo","params":["hi",-7],"id":2})");
    const Json& result = r.at("result");
    CPPUNIT_ASSERT_EQUAL(std::string("hi"), result.at("text").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(-7, result.at("count").get<int>());
    CPPUNIT_ASSERT(!result.at("loud").get<bool>());
  }

  void nullFillsAnOptionalPositionalSlot() {
    Json r =
        call(registry_, R"({"jsonrpc":"2.0","method":"echo","params":["x",null,true],"id":3})");
    CPPUNIT_ASSERT(!r.at("result").at("has_count").get<bool>());
    CPPUNIT_ASSERT_EQUAL(1, r.at("result").at("count").get<int>());
    CPPUNIT_ASSERT(r.at("result").at("loud").get<bool>());
  }

  void echoesStringNumberAndNullIds() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"which","id":"abc"})");
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), r.at("id").get<std::string>());
    r = call(registry_, R"({"jsonrpc":"2.0","method":"which","id":1.5})");
    CPPUNIT_ASSERT_EQUAL(1.5, r.at("id").get<double>());
    r = call(registry_, R"({"jsonrpc":"2.0","method":"which","id":null})");
    CPPUNIT_ASSERT(r.contains("id") && r.at("id").is_null() && r.contains("result"));
  }

  void batchAnswersInOrderWithoutNotifications() {
    Json r = call(registry_, R"([{"jsonrpc":"2.0","method":"echo","params":{"text":"a"},"id":1},)"
                             R"({"jsonrpc":"2.0","method":"echo","params":{"text":"n"}},)"
                             R"({"jsonrpc":"2.0","method":"nope","id":2},)"
                             R"({"jsonrpc":"2.0","method":"sum","params":[[1,2,3]],"id":3}])");
    CPPUNIT_ASSERT(r.is_array());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, r.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), r[0].at("result").at("text").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(2, r[1].at("id").get<int>());
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcMethodNotFound}, errorCode(r[1]));
    CPPUNIT_ASSERT_EQUAL(6, r[2].at("result").get<int>());
  }

  void notificationGetsNoResponse() {
    CPPUNIT_ASSERT_EQUAL(std::string(), handleJsonRpc(registry_, R"({"jsonrpc":"2.0",)"
                                                                 R"("method":"which"})"));
    // Errors after validation are not reported for notifications either.
    CPPUNIT_ASSERT_EQUAL(std::string(),
                         handleJsonRpc(registry_, R"({"jsonrpc":"2.0","method":"nope"})"));
    CPPUNIT_ASSERT_EQUAL(std::string(),
                         handleJsonRpc(registry_, R"({"jsonrpc":"2.0","method":"throw_std"})"));
  }

  void notificationOnlyBatchGetsNoResponse() {
    CPPUNIT_ASSERT_EQUAL(std::string(),
                         handleJsonRpc(registry_, R"([{"jsonrpc":"2.0","method":"which"},)"
                                                  R"({"jsonrpc":"2.0","method":"fail"}])"));
  }

  void parseErrorSaysWhere() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"which",)");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcParseError}, errorCode(r));
    CPPUNIT_ASSERT(r.at("id").is_null());
    CPPUNIT_ASSERT_MESSAGE(errorMessage(r), contains(errorMessage(r), "line 1"));
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcParseError}, errorCode(call(registry_, "")));
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcParseError}, errorCode(call(registry_, "{} {}")));
  }

  void invalidRequestsAreAnswered() {
    struct Case {
      const char* request;
      const char* why;
      bool id_echoed;
    };
    const Case cases[] = {
        {R"("which")", "expected an object", false},
        {R"({"method":"which","id":1})", "'jsonrpc'", true},
        {R"({"jsonrpc":"1.0","method":"which","id":1})", "'jsonrpc'", true},
        {R"({"jsonrpc":"2.0","method":5,"id":1})", "'method'", true},
        {R"({"jsonrpc":"2.0","id":1})", "'method'", true},
        {R"({"jsonrpc":"2.0","method":"which","id":{"a":1}})", "'id'", false},
        {R"({"jsonrpc":"2.0","method":"echo","params":"hi","id":1})", "'params'", true},
        // Not a valid request, so not a notification: answered although there is no id.
        {R"({"jsonrpc":"2.0","method":1})", "'method'", false},
    };
    for (const Case& c : cases) {
      Json r = call(registry_, c.request);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(c.request, int{kJsonRpcInvalidRequest}, errorCode(r));
      CPPUNIT_ASSERT_MESSAGE(c.request, contains(errorMessage(r), c.why));
      CPPUNIT_ASSERT_MESSAGE(c.request, c.id_echoed ? r.at("id") == 1 : r.at("id").is_null());
    }
  }

  void emptyBatchIsInvalid() {
    Json r = call(registry_, "[]");
    CPPUNIT_ASSERT(r.is_object());
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, errorCode(r));
  }

  void batchOfNonObjectsAnswersEach() {
    Json r = call(registry_, "[1,[2]]");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.size());
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, errorCode(r[0]));
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, errorCode(r[1]));
  }

  void unknownMethodIsNamedWithSuggestions() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"ecoh","id":9})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcMethodNotFound}, errorCode(r));
    CPPUNIT_ASSERT(contains(errorMessage(r), "ecoh"));
    const Json& suggestions = r.at("error").at("data").at("suggestions");
    CPPUNIT_ASSERT_EQUAL(std::string("echo"), suggestions.at(0).get<std::string>());
    r = call(registry_, R"({"jsonrpc":"2.0","method":"throw","id":9})");  // substring match
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.at("error").at("data").at("suggestions").size());
    r = call(registry_, R"({"jsonrpc":"2.0","method":"zzzzzzzzzzzz","id":9})");
    CPPUNIT_ASSERT(!r.at("error").contains("data"));
  }

  void wrongTypeNamesParamAndExpectedType() {
    struct Case {
      const char* params;
      const char* param;
      const char* expected;
    };
    const Case cases[] = {
        {R"({"text":"a","count":"5"})", "'count'", "must be int, got string"},
        {R"({"text":"a","count":1.5})", "'count'", "must be int, got float"},
        {R"({"text":"a","count":true})", "'count'", "must be int, got bool"},
        {R"({"text":"a","count":18446744073709551615})", "'count'", "must be int"},
        {R"({"text":7})", "'text'", "must be string, got int"},
        {R"({"text":"a","loud":"yes"})", "'loud'", "must be bool, got string"},
        {R"([["a"]])", "'text'", "must be string, got array"},
    };
    for (const Case& c : cases) {
      Json r = call(registry_, std::string(R"({"jsonrpc":"2.0","method":"echo","params":)") +
                                   c.params + R"(,"id":1})");
      CPPUNIT_ASSERT_EQUAL_MESSAGE(c.params, int{kJsonRpcInvalidParams}, errorCode(r));
      CPPUNIT_ASSERT_MESSAGE(errorMessage(r), contains(errorMessage(r), c.param));
      CPPUNIT_ASSERT_MESSAGE(errorMessage(r), contains(errorMessage(r), c.expected));
      CPPUNIT_ASSERT_EQUAL(std::string("echo text:string [count:int] [loud:bool]"),
                           r.at("error").at("data").at("usage").get<std::string>());
    }
  }

  void missingRequiredParamIsNamed() {
    for (const char* params : {R"({"count":1})", "[]", "null", R"({"text":null})"}) {
      Json r = call(registry_, std::string(R"({"jsonrpc":"2.0","method":"echo","params":)") +
                                   params + R"(,"id":1})");
      if (std::string(params) == "null") {  // "params": null is not a structured value
        CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, errorCode(r));
        continue;
      }
      CPPUNIT_ASSERT_EQUAL_MESSAGE(params, int{kJsonRpcInvalidParams}, errorCode(r));
      CPPUNIT_ASSERT_MESSAGE(errorMessage(r),
                             contains(errorMessage(r), "missing required param 'text' (string)"));
    }
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"echo","id":1})");  // no params
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidParams}, errorCode(r));
  }

  void unknownParamNameIsRejected() {
    Json r = call(registry_,
                  R"({"jsonrpc":"2.0","method":"echo","params":{"text":"a","cuont":2},"id":1})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidParams}, errorCode(r));
    CPPUNIT_ASSERT(contains(errorMessage(r), "unknown param 'cuont'"));
    r = call(registry_, R"({"jsonrpc":"2.0","method":"which","params":{"x":1},"id":1})");
    CPPUNIT_ASSERT(contains(errorMessage(r), "takes none"));
  }

  void tooManyPositionalParamsAreRejected() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"echo","params":["a",1,true,4],"id":1})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidParams}, errorCode(r));
    CPPUNIT_ASSERT(contains(errorMessage(r), "at most 3"));
  }

  void anyParamTakesAList() {
    Json r =
        call(registry_, R"({"jsonrpc":"2.0","method":"sum","params":{"values":[4,5]},"id":1})");
    CPPUNIT_ASSERT_EQUAL(9, r.at("result").get<int>());
  }

  void handlerStatusBecomesServerError() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"fail","id":"f"})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcServerError}, errorCode(r));
    CPPUNIT_ASSERT_EQUAL(std::string("no such AOR: bob"), errorMessage(r));
    CPPUNIT_ASSERT_EQUAL(std::string("not_found"),
                         r.at("error").at("data").at("status").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::string("f"), r.at("id").get<std::string>());
  }

  void throwingHandlerBecomesInternalError() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"throw_std","id":1})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInternalError}, errorCode(r));
    CPPUNIT_ASSERT(contains(errorMessage(r), "boom"));
    r = call(registry_, R"({"jsonrpc":"2.0","method":"throw_int","id":1})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInternalError}, errorCode(r));
    // A handler that misuses Json (type_error) is caught the same way.
    r = call(registry_, R"({"jsonrpc":"2.0","method":"sum","params":[["x"]],"id":1})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInternalError}, errorCode(r));
  }

  void invalidUtf8InResultIsReplaced() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"bad_utf8","id":1})");
    CPPUNIT_ASSERT_EQUAL(std::string("a\xef\xbf\xbd") + "b", r.at("result").get<std::string>());
  }

  void deeplyNestedInputDoesNotCrash() {
    const std::size_t depth = 100000;
    std::string request = std::string(depth, '[') + std::string(depth, ']');
    Json r = call(registry_, request);  // a batch whose one element is not an object
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcInvalidRequest}, errorCode(r.at(0)));
    r = call(registry_, std::string(depth, '['));
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcParseError}, errorCode(r));
  }

  void whichListsSortedNames() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"which","id":1})");
    Json expected =
        Json::array({"bad_utf8", "echo", "fail", "help", "sum", "throw_int", "throw_std", "which"});
    CPPUNIT_ASSERT_EQUAL(expected.dump(), r.at("result").dump());
  }

  void helpDescribesACommand() {
    Json r = call(registry_, R"({"jsonrpc":"2.0","method":"help","params":["echo"],"id":1})");
    const Json& result = r.at("result");
    CPPUNIT_ASSERT_EQUAL(std::string("test"), result.at("module").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::string("Echoes its params."), result.at("help").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, result.at("params").size());
    const Json& count = result.at("params").at(1);
    CPPUNIT_ASSERT_EQUAL(std::string("count"), count.at("name").get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::string("int"), count.at("type").get<std::string>());
    CPPUNIT_ASSERT(count.at("optional").get<bool>());
    r = call(registry_, R"({"jsonrpc":"2.0","method":"help","id":1})");
    CPPUNIT_ASSERT_EQUAL(std::size_t{8}, r.at("result").size());
    CPPUNIT_ASSERT_EQUAL(std::string("core"), r.at("result").at(3).at("module").get<std::string>());
  }

  void helpOfUnknownCommandIsNotFound() {
    Json r =
        call(registry_, R"({"jsonrpc":"2.0","method":"help","params":{"command":"ech"},"id":1})");
    CPPUNIT_ASSERT_EQUAL(int{kJsonRpcServerError}, errorCode(r));
    CPPUNIT_ASSERT_MESSAGE(errorMessage(r), contains(errorMessage(r), "no such MI command: ech"));
    CPPUNIT_ASSERT_MESSAGE(errorMessage(r), contains(errorMessage(r), "did you mean echo"));
  }

  void registryRejectsDuplicatesAndBadNames() {
    auto ok = [](const MiParams&) -> Result<Json> { return Json(); };
    Status s = registry_.add({"echo", {}, "", "other", ok});
    CPPUNIT_ASSERT(s.code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT_MESSAGE(s.message(), contains(s.message(), "'other'"));
    CPPUNIT_ASSERT_MESSAGE(s.message(), contains(s.message(), "'test'"));
    CPPUNIT_ASSERT(registry_.add({"Bad-Name", {}, "", "m", ok}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(registry_.add({"rpc.x", {}, "", "m", ok}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(registry_.add({"no_handler", {}, "", "m", nullptr}).code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(registry_
                       .add({"dup_param",
                             {MiParamSpec::str("a"), MiParamSpec::integer("a").opt()},
                             "",
                             "m",
                             ok})
                       .code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(registry_.find("no_handler") == nullptr);
    CPPUNIT_ASSERT(registry_.find("echo") != nullptr);
  }

  void paramsFallBackWhenAbsent() {
    MiParams params(Json{{"s", "v"}, {"i", 5}, {"b", true}, {"l", {1, 2}}});
    CPPUNIT_ASSERT_EQUAL(std::string("v"), params.str("s"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, params.integer("i"));
    CPPUNIT_ASSERT(params.boolean("b"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, params.raw("l").size());
    CPPUNIT_ASSERT(!params.has("missing"));
    CPPUNIT_ASSERT_EQUAL(std::string("fb"), params.str("missing", "fb"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{-1}, params.integer("missing", -1));
    CPPUNIT_ASSERT(params.boolean("missing", true));
    CPPUNIT_ASSERT(params.raw("missing").is_null());
  }

 private:
  void add(MiCommand cmd) {
    Status s = registry_.add(std::move(cmd));
    CPPUNIT_ASSERT_MESSAGE(s.message(), s.isOk());
  }

  MiRegistry registry_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(JsonRpcTest);

}  // namespace sipline
