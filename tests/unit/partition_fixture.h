// A fixture of model tests: a State with the partition of account 123456789012 in us-east-1,
// initialized as a first request makes it, with one VPC (10.0.0.0/16) and one subnet (CIDR of the
// test's choosing) in us-east-1a.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "model/rules.h"
#include "model/state.h"
#include "model/subnet.h"
#include "model/vpc.h"

namespace openvpc::testing {

class PartitionFixture : public ::testing::Test {
 protected:
  explicit PartitionFixture(const std::string& subnet_cidr) {
    model::RegisterAllRules();
    model::Partition& p = Part();
    p.account_id = "123456789012";
    p.region = "us-east-1";
    model::Tx tx(p, state.quotas, &state);
    model::InitializePartition(tx);
    vpc = model::CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    subnet = model::CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = subnet_cidr, .availability_zone = "us-east-1a"}).id;
  }
  model::Partition& Part() { return state.partitions[{"123456789012", "us-east-1"}]; }
  model::Tx NewTx() { return model::Tx(Part(), state.quotas, &state); }

  model::State state;
  std::string vpc, subnet;
};

}  // namespace openvpc::testing
