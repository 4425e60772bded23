// The Pulumi program: every dataset in datasets/ becomes a landing prefix, a rule, a Glue job,
// Iceberg tables and grants; the rest of the platform is shared. See docs/deploy.md.
import { DATASETS } from "../datasets";
import { loadConfig } from "./config";
import { createPlatform } from "./platform";

const platform = createPlatform(loadConfig(), DATASETS);

export const landingBucket = platform.landingBucket;
export const opsBucket = platform.opsBucket;
export const auditTable = platform.auditTable;
export const dashboardUrl = platform.dashboardUrl;
export const athenaWorkgroup = platform.athenaWorkgroup;
export const glueDatabases = platform.glueDatabases;
export const glueJobs = platform.glueJobs;
export const modelJobs = platform.modelJobs;
export const alertTopicArn = platform.alertTopicArn;
export const eventDlqUrl = platform.eventDlqUrl;
export const lambdaFailuresQueueUrl = platform.lambdaFailuresQueueUrl;
