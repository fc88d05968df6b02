import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { tableName, tables, type KeyDesign, type TableDesign } from '../functions/shared/tables.ts';

export interface AreaDataProps {
  readonly areaSlug: string;
  readonly key: kms.IKey;
}

/** The area's DynamoDB tables, one per design in functions/shared/tables.ts. */
export class AreaData extends Construct {
  /** Tables keyed by design id (e.g. `Journeys`). */
  readonly tables: Readonly<Record<string, dynamodb.TableV2>>;
  /** Physical table names keyed by design id, as functionEnvironment expects. */
  readonly tableNames: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AreaDataProps) {
    super(scope, id);
    const built: Record<string, dynamodb.TableV2> = {};
    const names: Record<string, string> = {};
    for (const design of tables) {
      const physicalName = tableName(props.areaSlug, design);
      names[design.id] = physicalName;
      built[design.id] = this.table(design, physicalName, props.key);
    }
    this.tables = built;
    this.tableNames = names;
  }

  private table(design: TableDesign, physicalName: string, key: kms.IKey): dynamodb.TableV2 {
    return new dynamodb.TableV2(this, design.id, {
      tableName: physicalName,
      partitionKey: attribute(design.partitionKey),
      ...(design.sortKey ? { sortKey: attribute(design.sortKey) } : {}),
      globalSecondaryIndexes: design.indexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
      })),
      ...(design.ttlAttribute ? { timeToLiveAttribute: design.ttlAttribute } : {}),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
      // Referral records must outlive any stack change (retention is years, not deploys).
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

function attribute(key: KeyDesign): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  };
}
