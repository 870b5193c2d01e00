// The AWS SDK for JavaScript v3 with AWS_ENDPOINT_URL (and credentials, Region) from the
// environment alone: one client per service openvpc serves, each asked one thing. Prints one
// JSON object; exits non-zero on any error.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";
import { EC2Client, DescribeVpcsCommand } from "@aws-sdk/client-ec2";

const name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
const me = await new STSClient({}).send(new GetCallerIdentityCommand({}));
const parameter = await new SSMClient({}).send(new GetParameterCommand({ Name: name }));
const vpcs = await new EC2Client({}).send(new DescribeVpcsCommand({}));
let missing = null;
try {
  await new SSMClient({}).send(new GetParameterCommand({ Name: "/aws/service/none" }));
} catch (e) {
  missing = e.name;
}
console.log(JSON.stringify({
  account: me.Account,
  arn: me.Arn,
  image: parameter.Parameter.Value,
  modified: parameter.Parameter.LastModifiedDate instanceof Date,
  vpcs: vpcs.Vpcs.length,
  missing,
}));
