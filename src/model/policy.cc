// IAM policy documents: the grammar (ParsePolicy) and the evaluation logic (Evaluate).
//
// Choices where the IAM documentation leaves room, each cited where it is made:
//   * A key with several request values and no set operator matches when ANY value matches
//     ("Single-valued vs. multivalued context keys" says such keys need ForAllValues/ForAnyValue
//     and does not define the bare case; ANY is the reading that lets a Deny bite). A negated
//     operator is then the exact complement of its positive form, so for one request value it
//     holds when that value matches none of the policy's values.
//   * Unresolvable policy variables (no value, several values, no default) make that one policy
//     value (or Resource entry) match nothing ("IAM policy elements: Variables and tags").
//   * ArnLike/ArnEquals patterns with fewer than six fields are matched as one string, so that
//     "*" matches any ARN.
#include "model/policy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "model/error.h"
#include "model/key_pair.h"  // DecodeBase64
#include "net/ip.h"

namespace openvpc::model {
namespace {

using json = nlohmann::json;
constexpr std::size_t npos = std::string_view::npos;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return Lower(x) == Lower(y);
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// ---- wildcards ----

// A policy string after variable substitution. lit[i] != 0 marks text[i] as literal even when it
// is '*' or '?' (the ${*} ${?} ${$} escapes, and substituted values). Empty lit: none literal.
struct Pattern {
  std::string text;
  std::vector<uint8_t> lit;
};

// '*' matches any run, '?' one character. The greedy two-pointer walk keeps only the latest '*'
// to fall back to, so its cost is at most |pattern| * |subject|, never exponential.
bool Glob(std::string_view pat, const uint8_t* lit, std::string_view s, bool icase) {
  auto wild = [&](std::size_t i, char w) { return pat[i] == w && !(lit && lit[i]); };
  std::size_t p = 0, t = 0, star = npos, mark = 0;
  while (t < s.size()) {
    if (p < pat.size() && wild(p, '*')) {
      star = p++;
      mark = t;
    } else if (p < pat.size() && (wild(p, '?') || pat[p] == s[t] || (icase && Lower(pat[p]) == Lower(s[t])))) {
      ++p;
      ++t;
    } else if (star != npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && wild(p, '*')) ++p;
  return p == pat.size();
}

bool Glob(const Pattern& p, std::string_view s, bool icase) {
  return Glob(p.text, p.lit.empty() ? nullptr : p.lit.data(), s, icase);
}

// The boundaries of an ARN's six colon-separated fields (the last takes the rest, colons
// included): field i is [b[i], b[i+1] - 1). False when there are fewer than six.
bool SplitArn(std::string_view s, std::array<std::size_t, 7>& b) {
  b[0] = 0;
  for (int i = 1; i < 6; ++i) {
    auto c = s.find(':', b[i - 1]);
    if (c == npos) return false;
    b[i] = c + 1;
  }
  b[6] = s.size() + 1;
  return true;
}

std::string_view ArnField(std::string_view arn, int i) {
  std::array<std::size_t, 7> b;
  if (!SplitArn(arn, b)) return {};
  return arn.substr(b[i], b[i + 1] - 1 - b[i]);
}

// "ArnEquals, ArnLike: case-sensitive; each of the six colon-delimited components of the ARN is
// checked separately and each can include wildcards" (Condition operators).
bool ArnMatch(const Pattern& p, std::string_view arn) {
  std::array<std::size_t, 7> pb, ab;
  if (!SplitArn(p.text, pb)) return Glob(p, arn, false);
  if (!SplitArn(arn, ab)) return false;
  std::string_view pt = p.text;
  for (int i = 0; i < 6; ++i) {
    const uint8_t* lit = p.lit.empty() ? nullptr : p.lit.data() + pb[i];
    if (!Glob(pt.substr(pb[i], pb[i + 1] - 1 - pb[i]), lit, arn.substr(ab[i], ab[i + 1] - 1 - ab[i]), false))
      return false;
  }
  return true;
}

// ---- policy variables ("IAM policy elements: Variables and tags") ----

// 'text' with '' for a quote, as in ${key, 'default'}.
std::optional<std::string> Quoted(std::string_view s) {
  if (s.size() < 2 || s.front() != '\'' || s.back() != '\'') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\'') {
      if (i + 2 >= s.size() || s[i + 1] != '\'') return std::nullopt;
      ++i;
    }
    out += s[i];
  }
  return out;
}

// Replaces ${key} by the request's single value of key (or the ${key, 'default'}), and ${*} ${?}
// ${$} by literal characters; one pass, substituted text is literal. Only Version 2012-10-17
// policies have variables (earlier versions read "${…}" as text). False: a variable that cannot be
// resolved.
bool Substitute(const std::string& s, const PolicyContext& ctx, bool variables, Pattern& out) {
  out.lit.clear();
  if (!variables || s.find("${") == npos) {
    out.text = s;
    return true;
  }
  out.text.clear();
  auto put = [&](std::string_view t, bool literal) {
    out.text += t;
    out.lit.insert(out.lit.end(), t.size(), literal ? 1 : 0);
  };
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "${") == 0) {
      std::size_t j = i + 2;
      for (bool quoted = false; j < s.size() && (quoted || s[j] != '}'); ++j) {
        if (s[j] == '\'') quoted = !quoted;
      }
      if (j < s.size()) {
        std::string_view inner = std::string_view(s).substr(i + 2, j - i - 2);
        i = j + 1;
        if (inner == "*" || inner == "?" || inner == "$") {
          put(inner, true);
          continue;
        }
        auto comma = inner.find(',');
        std::optional<std::string> fallback;
        if (comma != npos && !(fallback = Quoted(Trim(inner.substr(comma + 1))))) return false;
        auto it = ctx.find(Trim(inner.substr(0, comma)));
        if (it != ctx.end() && it->second.size() == 1) {
          put(it->second[0], true);
        } else if (fallback) {
          put(*fallback, true);
        } else {
          return false;
        }
        continue;
      }
    }
    put(std::string_view(s).substr(i, 1), false);
    ++i;
  }
  return true;
}

// ---- typed values ----

// Plain decimal numbers only (no "inf", "nan", hex, or spaces, which strtod would take).
std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return std::nullopt;
  }
  std::string buf(s);
  char* end = nullptr;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

int64_t DaysFromCivil(int64_t y, int m, int d) {  // proleptic Gregorian, 1970-01-01 = 0
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

// Epoch seconds, or ISO 8601 ("W3C implementation"): YYYY-MM-DD[Thh:mm[:ss[.f…]][Z|±hh[:]mm]].
std::optional<double> ParseDate(std::string_view s) {
  if (auto n = ParseNumber(s)) return n;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (std::size_t k = pos; k < pos + len; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      out = out * 10 + (s[k] - '0');
    }
    return true;
  };
  int y, mo, d, h = 0, mi = 0, sec = 0, offset = 0;
  double frac = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || s[4] != '-' || s[7] != '-') return std::nullopt;
  std::size_t i = 10;
  if (i < s.size()) {
    if (s[i] != 'T' || !num(i + 1, 2, h) || !num(i + 4, 2, mi) || s[i + 3] != ':') return std::nullopt;
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!num(i + 1, 2, sec)) return std::nullopt;
      i += 3;
      if (i < s.size() && s[i] == '.') {
        std::size_t j = i + 1;
        for (double scale = 0.1; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j, scale /= 10) frac += (s[j] - '0') * scale;
        if (j == i + 1) return std::nullopt;
        i = j;
      }
    }
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int oh, om;
      std::size_t m = i + 3 < s.size() && s[i + 3] == ':' ? i + 4 : i + 3;
      if (!num(i + 1, 2, oh) || !num(m, 2, om) || oh > 23 || om > 59) return std::nullopt;
      offset = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      i = m + 2;
    }
    if (i != s.size()) return std::nullopt;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
      sec > 60)
    return std::nullopt;
  return static_cast<double>(DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset) + frac;
}

// Standard alphabet, padding optional (the key pair's decoder wants it whole).
std::optional<std::string> Base64Decode(std::string_view s) {
  if (s.empty()) return std::string();
  std::string padded(s);
  while (padded.size() % 4) padded += '=';
  return DecodeBase64(padded);
}

// An address is its own /32 or /128 block ("IpAddress: the specified IP address or range").
struct IpBlock {
  bool v6 = false;
  net::Cidr4 c4;
  net::Cidr6 c6;
};

std::optional<IpBlock> ParseIpBlock(std::string_view s) {
  if (s.find('/') != npos) {
    if (auto c = net::ParseCidr4(s)) return IpBlock{false, *c, {}};
    if (auto c = net::ParseCidr6(s)) return IpBlock{true, {}, *c};
  } else {
    if (auto a = net::ParseIpv4(s)) return IpBlock{false, {*a, 32}, {}};
    if (auto a = net::ParseIpv6(s)) return IpBlock{true, {}, {*a, 128}};
  }
  return std::nullopt;
}

// ---- operators ("IAM JSON policy elements: Condition operators") ----

enum class Family { kString, kStringIgnoreCase, kStringLike, kNumeric, kDate, kBool, kBinary, kIp, kArn, kNull };
enum class Cmp { kEq, kLt, kLe, kGt, kGe };
enum class SetOp { kNone, kForAllValues, kForAnyValue };

struct OpInfo {
  std::string_view name;
  Family family;
  Cmp cmp;
  bool negated;  // true when the request value must match none of the policy's values
};

using F = Family;
using C = Cmp;
constexpr OpInfo kOps[] = {
    {"StringEquals", F::kString, C::kEq, false}, {"StringNotEquals", F::kString, C::kEq, true},
    {"StringEqualsIgnoreCase", F::kStringIgnoreCase, C::kEq, false},
    {"StringNotEqualsIgnoreCase", F::kStringIgnoreCase, C::kEq, true},
    {"StringLike", F::kStringLike, C::kEq, false}, {"StringNotLike", F::kStringLike, C::kEq, true},
    {"NumericEquals", F::kNumeric, C::kEq, false}, {"NumericNotEquals", F::kNumeric, C::kEq, true},
    {"NumericLessThan", F::kNumeric, C::kLt, false}, {"NumericLessThanEquals", F::kNumeric, C::kLe, false},
    {"NumericGreaterThan", F::kNumeric, C::kGt, false}, {"NumericGreaterThanEquals", F::kNumeric, C::kGe, false},
    {"DateEquals", F::kDate, C::kEq, false}, {"DateNotEquals", F::kDate, C::kEq, true},
    {"DateLessThan", F::kDate, C::kLt, false}, {"DateLessThanEquals", F::kDate, C::kLe, false},
    {"DateGreaterThan", F::kDate, C::kGt, false}, {"DateGreaterThanEquals", F::kDate, C::kGe, false},
    {"Bool", F::kBool, C::kEq, false}, {"BinaryEquals", F::kBinary, C::kEq, false},
    {"IpAddress", F::kIp, C::kEq, false}, {"NotIpAddress", F::kIp, C::kEq, true},
    // "ArnEquals, ArnLike" share one description in the IAM reference: both take wildcards.
    {"ArnEquals", F::kArn, C::kEq, false}, {"ArnLike", F::kArn, C::kEq, false},
    {"ArnNotEquals", F::kArn, C::kEq, true}, {"ArnNotLike", F::kArn, C::kEq, true},
    {"Null", F::kNull, C::kEq, false},
};

// Policy variables work "in string comparisons" and ARNs, not in numbers, dates or the rest.
bool TakesVariables(Family f) {
  return f == Family::kString || f == Family::kStringIgnoreCase || f == Family::kStringLike || f == Family::kArn;
}

bool Compare(Cmp c, double request, double policy) {
  switch (c) {
    case Cmp::kEq: return request == policy;
    case Cmp::kLt: return request < policy;
    case Cmp::kLe: return request <= policy;
    case Cmp::kGt: return request > policy;
    case Cmp::kGe: return request >= policy;
  }
  return false;
}

// The positive form of the operator, for one request value and one policy value.
bool ValueMatches(const OpInfo& op, const Pattern& pv, const std::string& rv) {
  switch (op.family) {
    case Family::kString: return pv.text == rv;
    case Family::kStringIgnoreCase: return EqualsIgnoreCase(pv.text, rv);
    case Family::kStringLike: return Glob(pv, rv, false);
    case Family::kArn: return ArnMatch(pv, rv);
    case Family::kBool: return EqualsIgnoreCase(pv.text, rv);
    case Family::kNumeric: {
      auto a = ParseNumber(rv), b = ParseNumber(pv.text);
      return a && b && Compare(op.cmp, *a, *b);
    }
    case Family::kDate: {
      auto a = ParseDate(rv), b = ParseDate(pv.text);
      return a && b && Compare(op.cmp, *a, *b);
    }
    case Family::kBinary: {
      auto a = Base64Decode(rv), b = Base64Decode(pv.text);
      return a && b && *a == *b;
    }
    case Family::kIp: {
      auto outer = ParseIpBlock(pv.text), inner = ParseIpBlock(rv);
      if (!outer || !inner || outer->v6 != inner->v6) return false;
      return outer->v6 ? outer->c6.Contains(inner->c6) : outer->c4.Contains(inner->c4);
    }
    case Family::kNull: return false;  // handled by the caller
  }
  return false;
}

// ---- the parsed document ----

struct Condition {
  const OpInfo* op = nullptr;
  SetOp set = SetOp::kNone;
  bool if_exists = false;
  std::string key;
  std::vector<std::string> values;  // normalised to strings
};

struct PrincipalEntry {
  PrincipalType type;
  std::string value;  // kAws: "*" (everyone) or an ARN; an account id becomes arn:aws:iam::A:root
};

struct Statement {
  bool allow = false;
  bool has_principal = false, not_principal = false;
  std::vector<PrincipalEntry> principals;
  bool not_action = false;
  std::vector<std::string> actions;
  bool has_resource = false, not_resource = false;
  std::vector<std::string> resources;
  std::vector<Condition> conditions;
};

}  // namespace

struct Policy::Rep {
  std::string version, id;
  bool variables = false;  // Version 2012-10-17
  bool root_only = false;  // PolicyParseOptions::account_principal_is_root_only
  std::vector<Statement> statements;
};

const std::string& Policy::version() const {
  static const std::string none;
  return rep_ ? rep_->version : none;
}
const std::string& Policy::id() const {
  static const std::string none;
  return rep_ ? rep_->id : none;
}
std::size_t Policy::statement_count() const { return rep_ ? rep_->statements.size() : 0; }

bool ConditionKeyLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return Lower(x) < Lower(y); });
}

// ---- parsing ----

namespace {

bool IsAccountId(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class Parser {
 public:
  explicit Parser(const PolicyParseOptions& o) : o_(o) {}

  Policy::Rep Document(const std::string& text) {
    if (o_.max_chars != 0) {
      auto chars = std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; });
      if (static_cast<std::size_t>(chars) > o_.max_chars)
        Bad("Policy document is " + std::to_string(chars) + " characters; at most " + std::to_string(o_.max_chars) +
            " are allowed");
    }
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) Bad("Policy document is not valid JSON");
    if (!doc.is_object()) Bad("Policy document must be a JSON object");
    Policy::Rep rep;
    rep.root_only = o_.account_principal_is_root_only;
    bool has_statement = false;
    for (const auto& [k, v] : doc.items()) {
      if (k == "Version") {
        if (!v.is_string() || (v.get_ref<const std::string&>() != "2012-10-17" &&
                                v.get_ref<const std::string&>() != "2008-10-17"))
          Bad("Version must be \"2012-10-17\" or \"2008-10-17\"");
        rep.version = v.get<std::string>();
      } else if (k == "Id") {
        if (!v.is_string()) Bad("Id must be a string");
        rep.id = v.get<std::string>();
      } else if (k == "Statement") {
        has_statement = true;
        if (v.is_object()) {
          rep.statements.push_back(ParseStatement(v, 1));
        } else if (v.is_array() && !v.empty()) {
          for (std::size_t i = 0; i < v.size(); ++i) rep.statements.push_back(ParseStatement(v[i], i + 1));
        } else {
          Bad("Statement must be an object or a non-empty array of objects");
        }
      } else {
        Bad("Unknown policy element \"" + k + "\"");
      }
    }
    if (!has_statement) Bad("Policy document has no Statement");
    rep.variables = rep.version == "2012-10-17";
    return rep;
  }

 private:
  [[noreturn]] void Bad(const std::string& message) const { Fail(o_.error_code, where_ + message); }

  // A string, or a non-empty array of strings; never an empty string.
  std::vector<std::string> Strings(const json& v, const std::string& element) const {
    std::vector<std::string> out;
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_array() && !v.empty()) {
      for (const auto& e : v) {
        if (!e.is_string()) Bad(element + " values must be strings");
        out.push_back(e.get<std::string>());
      }
    } else {
      Bad(element + " must be a string or a non-empty array of strings");
    }
    for (const auto& s : out) {
      if (s.empty()) Bad(element + " values must not be empty");
    }
    return out;
  }

  Statement ParseStatement(const json& s, std::size_t index) {
    where_ = "Statement " + std::to_string(index) + ": ";
    if (!s.is_object()) Bad("must be an object");
    Statement st;
    bool has_effect = false, has_action = false;
    for (const auto& [k, v] : s.items()) {
      if (k == "Sid") {
        if (!v.is_string()) Bad("Sid must be a string");
      } else if (k == "Effect") {
        if (!v.is_string() || (v.get_ref<const std::string&>() != "Allow" && v.get_ref<const std::string&>() != "Deny"))
          Bad("Effect must be \"Allow\" or \"Deny\"");
        st.allow = v.get_ref<const std::string&>() == "Allow";
        has_effect = true;
      } else if (k == "Principal" || k == "NotPrincipal") {
        if (st.has_principal) Bad("Principal and NotPrincipal cannot both appear");
        st.has_principal = true;
        st.not_principal = k == "NotPrincipal";
        st.principals = ParsePrincipal(v, k);
      } else if (k == "Action" || k == "NotAction") {
        if (has_action) Bad("Action and NotAction cannot both appear");
        has_action = true;
        st.not_action = k == "NotAction";
        st.actions = Strings(v, k);
        for (const auto& a : st.actions) {
          auto colon = a.find(':');
          if (a != "*" && (colon == npos || colon == 0 || colon + 1 == a.size()))
            Bad(k + " \"" + a + "\" must be \"*\" or service:action");
        }
      } else if (k == "Resource" || k == "NotResource") {
        if (st.has_resource) Bad("Resource and NotResource cannot both appear");
        st.has_resource = true;
        st.not_resource = k == "NotResource";
        st.resources = Strings(v, k);
        for (const auto& r : st.resources) {
          if (r != "*" && r.rfind("arn:", 0) != 0) Bad(k + " \"" + r + "\" must be \"*\" or an ARN");
        }
      } else if (k == "Condition") {
        ParseConditions(v, st);
      } else {
        Bad("Unknown statement element \"" + k + "\"");
      }
    }
    if (!has_effect) Bad("Effect is missing");
    if (!has_action) Bad("Action or NotAction is missing");
    if (o_.require_principal && !st.has_principal) Bad("Principal is missing");
    where_.clear();
    return st;
  }

  // "*", or {"AWS"|"Service"|"Federated"|"CanonicalUser": string or list} ("AWS JSON policy
  // elements: Principal"). An account id means the account's root ARN.
  std::vector<PrincipalEntry> ParsePrincipal(const json& v, const std::string& element) const {
    if (v.is_string()) {
      if (v.get_ref<const std::string&>() != "*") Bad(element + " must be \"*\" or an object");
      return {{PrincipalType::kAws, "*"}};
    }
    if (!v.is_object() || v.empty()) Bad(element + " must be \"*\" or a non-empty object");
    std::vector<PrincipalEntry> out;
    for (const auto& [type, list] : v.items()) {
      PrincipalType t;
      if (type == "AWS") t = PrincipalType::kAws;
      else if (type == "Service") t = PrincipalType::kService;
      else if (type == "Federated") t = PrincipalType::kFederated;
      else if (type == "CanonicalUser") t = PrincipalType::kCanonicalUser;
      else Bad("Unknown " + element + " type \"" + type + "\"");
      for (auto& s : Strings(list, element + " " + type)) {
        if (t == PrincipalType::kAws && IsAccountId(s)) s = "arn:aws:iam::" + s + ":root";
        if (t == PrincipalType::kAws && s != "*" && s.rfind("arn:", 0) != 0)
          Bad("Invalid principal \"" + s + "\": must be \"*\", an account id or an ARN");
        out.push_back({t, std::move(s)});
      }
    }
    return out;
  }

  const OpInfo& Operator(const std::string& name, SetOp& set, bool& if_exists) const {
    std::string_view n = name;
    set = SetOp::kNone;
    if (n.starts_with("ForAllValues:")) {
      set = SetOp::kForAllValues;
      n.remove_prefix(13);
    } else if (n.starts_with("ForAnyValue:")) {
      set = SetOp::kForAnyValue;
      n.remove_prefix(12);
    }
    if_exists = n.size() > 8 && n.ends_with("IfExists");
    if (if_exists) n.remove_suffix(8);
    for (const auto& op : kOps) {
      if (op.name != n) continue;
      if (op.family == Family::kNull && (if_exists || set != SetOp::kNone))
        Bad("Condition operator \"" + name + "\" is not allowed: Null takes no IfExists or set operator");
      return op;
    }
    Bad("Unknown condition operator \"" + name + "\"");
  }

  void ParseConditions(const json& v, Statement& st) const {
    if (!v.is_object()) Bad("Condition must be an object");
    for (const auto& [name, block] : v.items()) {
      Condition proto;
      proto.op = &Operator(name, proto.set, proto.if_exists);
      if (!block.is_object()) Bad("Condition operator \"" + name + "\" must map keys to values");
      for (const auto& [key, values] : block.items()) {
        if (key.empty()) Bad("Condition keys must not be empty");
        Condition c = proto;
        c.key = key;
        if (!values.is_array()) {
          c.values.push_back(Value(values, *c.op, key));
        } else {
          if (values.empty()) Bad("Condition key \"" + key + "\" has no values");
          for (const auto& e : values) c.values.push_back(Value(e, *c.op, key));
        }
        st.conditions.push_back(std::move(c));
      }
    }
  }

  // Strings, numbers and booleans, normalised to strings and checked against what the operator needs.
  std::string Value(const json& e, const OpInfo& op, const std::string& key) const {
    std::string s;
    if (e.is_string()) s = e.get<std::string>();
    else if (e.is_boolean()) s = e.get<bool>() ? "true" : "false";
    else if (e.is_number_unsigned()) s = std::to_string(e.get<uint64_t>());
    else if (e.is_number_integer()) s = std::to_string(e.get<int64_t>());
    else if (e.is_number_float()) s = e.dump();
    else Bad("Condition key \"" + key + "\": values must be strings, numbers or booleans");
    bool ok = true;
    switch (op.family) {
      case Family::kNumeric: ok = ParseNumber(s).has_value(); break;
      case Family::kDate: ok = ParseDate(s).has_value(); break;
      case Family::kBool:
      case Family::kNull: ok = EqualsIgnoreCase(s, "true") || EqualsIgnoreCase(s, "false"); break;
      case Family::kBinary: ok = Base64Decode(s).has_value(); break;
      case Family::kIp: ok = ParseIpBlock(s).has_value(); break;
      default: break;
    }
    if (!ok) Bad("Condition operator \"" + std::string(op.name) + "\" cannot use \"" + s + "\" (key \"" + key + "\")");
    return s;
  }

  const PolicyParseOptions& o_;
  std::string where_;
};

// ---- evaluation ----

bool IsRootArn(std::string_view arn, std::string_view& account) {
  if (!arn.starts_with("arn:") || ArnField(arn, 2) != "iam" || ArnField(arn, 5) != "root") return false;
  account = ArnField(arn, 4);
  return true;
}

bool AwsPrincipalMatches(const std::string& entry, const PolicyPrincipal& who, bool root_only) {
  if (entry == "*") return true;
  if (who.anonymous || who.type != PrincipalType::kAws) return false;
  std::string_view account;
  if (IsRootArn(entry, account)) {
    std::string_view who_account;
    if (root_only) return IsRootArn(who.arn, who_account) && who_account == account;  // POL-09
    return (who.account_id.empty() ? ArnField(who.arn, 4) : std::string_view(who.account_id)) == account;
  }
  if (entry == who.arn) return true;
  // A role names its sessions: arn:P:sts::A:assumed-role/R/S is a session of arn:P:iam::A:role/[path/]R.
  std::string_view res = ArnField(who.arn, 5), eres = ArnField(entry, 5);
  if (ArnField(who.arn, 2) != "sts" || !res.starts_with("assumed-role/") || !eres.starts_with("role/")) return false;
  res.remove_prefix(13);
  std::string_view role = res.substr(0, res.find('/'));
  return ArnField(entry, 2) == "iam" && ArnField(entry, 1) == ArnField(who.arn, 1) &&
         ArnField(entry, 4) == ArnField(who.arn, 4) && eres.substr(eres.rfind('/') + 1) == role;
}

bool PrincipalMatches(const Statement& st, const PolicyPrincipal& who, bool root_only) {
  if (!st.has_principal) return true;
  bool hit = std::any_of(st.principals.begin(), st.principals.end(), [&](const PrincipalEntry& e) {
    if (e.type == PrincipalType::kAws) return AwsPrincipalMatches(e.value, who, root_only);
    return !who.anonymous && who.type == e.type && who.arn == e.value;
  });
  return st.not_principal ? !hit : hit;
}

bool ConditionHolds(const Condition& c, const PolicyRequest& r, bool variables) {
  auto it = r.context.find(c.key);
  const std::vector<std::string>* vals = (it != r.context.end() && !it->second.empty()) ? &it->second : nullptr;
  if (c.op->family == Family::kNull) {  // true: the key is absent; false: present
    return std::any_of(c.values.begin(), c.values.end(),
                       [&](const std::string& v) { return EqualsIgnoreCase(v, "true") == (vals == nullptr); });
  }
  if (!vals) {
    // "...IfExists": absent keys pass. ForAllValues is vacuously true, ForAnyValue false. A bare
    // operator is false, a negated one true (Condition operators, "Important").
    if (c.if_exists || c.set == SetOp::kForAllValues) return true;
    if (c.set == SetOp::kForAnyValue) return false;
    return c.op->negated;
  }
  std::vector<Pattern> policy_values;
  for (const auto& v : c.values) {
    Pattern p;
    if (Substitute(v, r.context, variables && TakesVariables(c.op->family), p)) policy_values.push_back(std::move(p));
  }
  auto one = [&](const std::string& rv) {
    bool hit = std::any_of(policy_values.begin(), policy_values.end(),
                           [&](const Pattern& pv) { return ValueMatches(*c.op, pv, rv); });
    return c.op->negated ? !hit : hit;
  };
  bool all = c.set == SetOp::kForAllValues || (c.set == SetOp::kNone && c.op->negated);
  return all ? std::all_of(vals->begin(), vals->end(), one) : std::any_of(vals->begin(), vals->end(), one);
}

bool StatementApplies(const Statement& st, const Policy::Rep& rep, const PolicyRequest& r) {
  if (!PrincipalMatches(st, r.principal, rep.root_only)) return false;
  bool action = std::any_of(st.actions.begin(), st.actions.end(),
                            [&](const std::string& a) { return Glob(a, nullptr, r.action, /*icase=*/true); });
  if (action == st.not_action) return false;
  if (st.has_resource) {
    Pattern p;
    bool hit = std::any_of(st.resources.begin(), st.resources.end(), [&](const std::string& res) {
      return Substitute(res, r.context, rep.variables, p) && Glob(p, r.resource, false);
    });
    if (hit == st.not_resource) return false;
  }
  return std::all_of(st.conditions.begin(), st.conditions.end(),
                     [&](const Condition& c) { return ConditionHolds(c, r, rep.variables); });
}

}  // namespace

Policy ParsePolicy(const std::string& json_text, const PolicyParseOptions& opts) {
  return Policy(std::make_shared<const Policy::Rep>(Parser(opts).Document(json_text)));
}

PolicyDecision Evaluate(const Policy& policy, const PolicyRequest& request) {
  if (!policy.rep_) return PolicyDecision::kImplicitDeny;
  bool allowed = false;
  for (const auto& st : policy.rep_->statements) {
    if (!StatementApplies(st, *policy.rep_, request)) continue;
    if (!st.allow) return PolicyDecision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? PolicyDecision::kAllow : PolicyDecision::kImplicitDeny;
}

// POL-05: the default policy, in the key order the API returns it.
std::string DefaultEndpointPolicy() {
  return R"({"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]})";
}

}  // namespace openvpc::model
