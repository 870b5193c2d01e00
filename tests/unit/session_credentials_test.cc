// Instance roles' temporary credentials (api/session_credentials.h): issued and recovered without
// state by any issuer with the same long-term keys; a forged token, another key or another
// issuer's secret recover nothing; the verifier refuses them once expired.
#include <gtest/gtest.h>

#include "api/session_credentials.h"

using namespace openvpc::api;

namespace {

std::map<std::string, Credential> LongTerm(const std::string& secret) {
  return {{"test", Credential{.access_key = "test", .secret = secret, .account_id = "123456789012"}}};
}

TEST(SessionCredentials, IssuedAndRecoveredByAnyServerWithTheSameKeys) {
  SessionIssuer a(LongTerm("s3cret")), b(LongTerm("s3cret")), other(LongTerm("different"));
  const auto now = std::chrono::system_clock::now();
  SessionCredentials c = a.Issue("123456789012", "arn:aws:iam::123456789012:role/app", "i-0123456789abcdef0", now);
  EXPECT_EQ(c.credential.access_key.substr(0, 4), "ASIA");
  EXPECT_EQ(c.credential.access_key.size(), 20u);
  EXPECT_EQ(c.credential.secret.size(), 40u);
  ASSERT_TRUE(c.credential.expiration);
  EXPECT_GT(*c.credential.expiration, now + std::chrono::hours(5));
  // The same within the hour: renewals before expiry hand out the same keys.
  EXPECT_EQ(a.Issue("123456789012", "arn:aws:iam::123456789012:role/app", "i-0123456789abcdef0", now).credential.access_key,
            c.credential.access_key);
  auto back = b.Recover(c.credential.access_key, c.credential.session_token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->credential.secret, c.credential.secret);
  EXPECT_EQ(back->credential.account_id, "123456789012");
  EXPECT_EQ(back->role_arn, "arn:aws:iam::123456789012:role/app");
  EXPECT_EQ(back->session_name, "i-0123456789abcdef0");
  EXPECT_FALSE(other.Recover(c.credential.access_key, c.credential.session_token));
  std::string forged = c.credential.session_token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(a.Recover(c.credential.access_key, forged));
  EXPECT_FALSE(a.Recover("ASIAAAAAAAAAAAAAAAAA", c.credential.session_token));
  EXPECT_FALSE(a.Recover(c.credential.access_key, ""));
  // Another account's token cannot be made from this one's: the account is under the MAC.
  SessionCredentials d = a.Issue("210987654321", "arn:aws:iam::210987654321:role/app", "i-0123456789abcdef0", now);
  EXPECT_NE(d.credential.access_key, c.credential.access_key);
}

}  // namespace
