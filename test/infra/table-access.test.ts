import { describe, expect, it } from 'vitest';
import { functionCatalogue } from '../../functions/catalogue.ts';
import { tableActions } from '../../infra/functions.ts';
import { functionSources } from '../support/function-sources.ts';

/**
 * Functions are granted item actions only (infra/functions.ts), not CDK's wider read/write sets.
 * Every DynamoDB call in a function's own sources (handler and the project files it imports)
 * must be one of them, or it would be refused in AWS, where no local run would notice. (The
 * sources are what a bundle can run, at most: a read-only function imports modules that also
 * write, so the check is against the item actions as a whole, not the function's own access.)
 */
const actionsOfCommand: Record<string, readonly string[]> = {
  GetCommand: ['dynamodb:GetItem'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  QueryCommand: ['dynamodb:Query'],
  PutCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  TransactWriteCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  ScanCommand: ['dynamodb:Scan'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  TransactGetCommand: ['dynamodb:GetItem'],
  ExecuteStatementCommand: ['dynamodb:PartiQLSelect'],
};

describe('table access', () => {
  it('every DynamoDB call a function can make is an item action a grant can give', () => {
    const missing: string[] = [];
    const granted = new Set<string>(tableActions.readWrite);
    for (const fn of functionCatalogue) {
      for (const [file, text] of functionSources(fn.entry)) {
        for (const m of text.matchAll(/\bnew (\w+Command)\(/g)) {
          const actions = actionsOfCommand[m[1]!];
          if (!actions) continue; // another service's command (Step Functions, SES)
          for (const action of actions) if (!granted.has(action)) missing.push(`${fn.name}: ${action} (${m[1]} in ${file.split('/functions/')[1]})`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('no function may scan or batch-write a table', () => {
    for (const actions of Object.values(tableActions)) {
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:BatchWriteItem');
    }
  });
});
