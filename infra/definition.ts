import { loadArea } from '../areas/index.ts';
import { synthAreaTemplate } from './build-app.ts';

/**
 * Turns a synthesized template's state machine DefinitionString (an Fn::Join of strings and
 * intrinsics) into the plain ASL document Step Functions would see, for the local runtime and
 * for validation. Pure: template in, ASL out; anything it cannot resolve is an error.
 */
export interface ResolveOptions {
  readonly region: string;
  readonly account: string;
}

type Template = { readonly Resources?: Record<string, { Type?: string; Properties?: Record<string, any> }> };

export function resolveDefinition(template: Record<string, any>, opts: ResolveOptions): { definition: object } {
  const resources = (template as Template).Resources ?? {};
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) {
    throw new Error(`Expected exactly one AWS::StepFunctions::StateMachine in the template, found ${machines.length}`);
  }
  const [logicalId, machine] = machines[0]!;
  const props = machine.Properties ?? {};
  const where = `state machine ${logicalId}`;
  if (props.DefinitionString === undefined) {
    throw new Error(`${where} has no DefinitionString (Definition/DefinitionS3Location are not supported)`);
  }

  const resolvedText = resolveValue(props.DefinitionString, resources, opts, `${where} DefinitionString`);
  if (typeof resolvedText !== 'string') throw new Error(`${where} DefinitionString does not resolve to a string`);
  let text = resolvedText;

  const substitutions = props.DefinitionSubstitutions as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(substitutions ?? {})) {
    const resolved = resolveValue(value, resources, opts, `${where} DefinitionSubstitutions.${name}`);
    text = text.split(`\${${name}}`).join(String(resolved));
  }

  try {
    return { definition: JSON.parse(text) as object };
  } catch (error) {
    throw new Error(`${where} DefinitionString is not valid JSON once resolved: ${(error as Error).message}`);
  }
}

const pseudoParameters = (opts: ResolveOptions): Record<string, string> => ({
  'AWS::Partition': 'aws',
  'AWS::Region': opts.region,
  'AWS::AccountId': opts.account,
  'AWS::URLSuffix': 'amazonaws.com',
});

function resolveValue(
  value: unknown,
  resources: NonNullable<Template['Resources']>,
  opts: ResolveOptions,
  where: string,
): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, resources, opts, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') {
    throw new Error(`${where}: cannot resolve ${JSON.stringify(value)}`);
  }

  const keys = Object.keys(value);
  const intrinsic = keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0]! : undefined;
  if (!intrinsic) {
    throw new Error(`${where}: expected a string or an intrinsic function, got ${JSON.stringify(value)}`);
  }
  const arg = (value as Record<string, unknown>)[intrinsic];

  switch (intrinsic) {
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || !Array.isArray(arg[1])) {
        throw new Error(`${where}: malformed Fn::Join ${JSON.stringify(arg)}`);
      }
      const parts = (arg[1] as unknown[]).map((part, i) => resolveValue(part, resources, opts, `${where} Fn::Join[${i}]`));
      return parts.map((p) => String(p)).join(arg[0]);
    }
    case 'Ref': {
      const pseudo = typeof arg === 'string' ? pseudoParameters(opts)[arg] : undefined;
      if (pseudo !== undefined) return pseudo;
      // A Lambda alias (the journey calls functions through theirs): Ref is the alias ARN.
      const alias = typeof arg === 'string' ? resources[arg] : undefined;
      if (alias?.Type === 'AWS::Lambda::Alias' && typeof alias.Properties?.Name === 'string') {
        const fn = resolveValue({ 'Fn::GetAtt': [alias.Properties.FunctionName?.Ref, 'Arn'] }, resources, opts, `${where} alias ${arg}`);
        return `${String(fn)}:${alias.Properties.Name}`;
      }
      throw new Error(`${where}: cannot resolve {"Ref": ${JSON.stringify(arg)}}; only AWS::Partition, AWS::Region, AWS::AccountId, AWS::URLSuffix and Lambda aliases are supported`);
    }
    case 'Fn::GetAtt': {
      const [target, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : (arg as [unknown, unknown]);
      const resource = typeof target === 'string' ? resources[target] : undefined;
      if (resource?.Type === 'AWS::Lambda::Function' && attribute === 'Arn') {
        const name = resource.Properties?.FunctionName;
        if (typeof name !== 'string') {
          throw new Error(`${where}: Lambda function ${String(target)} has no literal FunctionName, so its ARN cannot be resolved`);
        }
        return `arn:aws:lambda:${opts.region}:${opts.account}:function:${name}`;
      }
      throw new Error(`${where}: cannot resolve {"Fn::GetAtt": ${JSON.stringify(arg)}}; only the Arn of an AWS::Lambda::Function is supported`);
    }
    default:
      throw new Error(`${where}: cannot resolve intrinsic ${intrinsic} ${JSON.stringify(arg)}`);
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** The plain ASL of one area's journey, with fake account 000000000000 by default. */
export function areaDefinition(slug: string, opts: Partial<ResolveOptions> = {}): { definition: object } {
  return resolveDefinition(synthAreaTemplate(slug), {
    region: opts.region ?? loadArea(slug).aws.region,
    account: opts.account ?? '000000000000',
  });
}
