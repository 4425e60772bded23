// Every rule of the pack, in report order. Adding a rule file means adding it here; the tests check
// that each rule has a failing and a passing fixture.
import { Rule } from "../lib/model";
import { athenaRules } from "./athena";
import { dynamodbRules } from "./dynamodb";
import { eventRules } from "./events";
import { glueRules } from "./glue";
import { iamRules } from "./iam";
import { kmsRules } from "./kms";
import { lakeFormationRules } from "./lakeformation";
import { lambdaRules } from "./lambda";
import { messagingRules } from "./messaging";
import { s3Rules } from "./s3";

export const RULES: Rule[] = [
  ...s3Rules,
  ...kmsRules,
  ...lambdaRules,
  ...dynamodbRules,
  ...glueRules,
  ...eventRules,
  ...messagingRules,
  ...iamRules,
  ...lakeFormationRules,
  ...athenaRules,
];
