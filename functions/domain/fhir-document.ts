/**
 * Reading FHIR JSON for the referral mapping (fhir.ts): defensive accessors, the resources of
 * one submission and how references between them resolve (contained, fullUrl, Type/id), and the
 * Mapper that collects issues, warnings and where each referral field came from.
 */
import type { FhirIssue, FhirIssueCode } from './fhir-outcome.ts';

export type Json = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function objects(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export function codings(concept: unknown): Json[] {
  return isObject(concept) ? objects(concept.coding) : [];
}

export function extensionsOf(element: Json, url: string): Json[] {
  return objects(element.extension).filter((ext) => ext.url === url);
}

/** FHIRPath of an extension. */
export function ext(root: string, url: string, sub?: string): string {
  return `${root}.extension('${url}')${sub ? `.extension('${sub}')` : ''}`;
}

export interface Located {
  readonly resource: Json;
  /** FHIRPath root of the resource (its type). */
  readonly path: string;
}

/** The resources of one submission and how references between them resolve. */
export class Document {
  private readonly byReference = new Map<string, Json>();
  readonly resources: Json[] = [];

  add(resource: Json, fullUrl?: string): void {
    this.resources.push(resource);
    const type = text(resource.resourceType);
    const id = text(resource.id);
    if (fullUrl) this.byReference.set(fullUrl, resource);
    if (type && id && !this.byReference.has(`${type}/${id}`)) this.byReference.set(`${type}/${id}`, resource);
    for (const contained of objects(resource.contained)) {
      const containedId = text(contained.id);
      this.resources.push(contained);
      if (containedId && !this.byReference.has(`#${containedId}`)) this.byReference.set(`#${containedId}`, contained);
    }
  }

  /** The resource a Reference points at; undefined when it has no literal reference or it is not here. */
  resolve(reference: unknown): Json | undefined {
    if (!isObject(reference)) return undefined;
    const literal = text(reference.reference);
    if (!literal) return undefined;
    const direct = this.byReference.get(literal);
    if (direct) return direct;
    // An absolute URL ending in Type/id.
    const match = /([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(literal);
    return match?.[1] ? this.byReference.get(match[1]) : undefined;
  }

  ofType(type: string): Json[] {
    return this.resources.filter((resource) => resource.resourceType === type);
  }
}

export function isLocalReference(reference: unknown): boolean {
  return isObject(reference) && typeof reference.reference === 'string' && reference.reference.startsWith('#');
}

/** Collects issues, warnings and field origins while mapping one submission. */
export class Mapper {
  readonly issues: FhirIssue[] = [];
  readonly warnings: FhirIssue[] = [];
  readonly origins = new Map<string, string>();

  error(code: FhirIssueCode, expression: string | readonly string[], diagnostics: string): undefined {
    this.issues.push({ severity: 'error', code, expression: typeof expression === 'string' ? [expression] : expression, diagnostics });
    return undefined;
  }

  warn(code: FhirIssueCode, expression: string, diagnostics: string): void {
    this.warnings.push({ severity: 'warning', code, expression: [expression], diagnostics });
  }

  origin(pointer: string, expression: string): void {
    this.origins.set(pointer, expression);
  }

  /** An array element of FHIR JSON: anything else present is a structure error. */
  list(element: Json, key: string, expression: string): Json[] {
    const value = element[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.error('structure', expression, `${expression} must be a JSON array.`);
      return [];
    }
    return value.filter(isObject);
  }
}
