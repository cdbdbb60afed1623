// Validates GraphQL documents against GitHub's published schema with graphql-js, the
// reference implementation. Usage: node validate_graphql.cjs GRAPHQL_JS_DIR SCHEMA.json
// (the introspection result in npm @octokit/graphql-schema; its SDL twin repeats fields)
// with a JSON array of {name, query} on stdin. Prints one problem per line, naming the
// document, the message and where in the document it is; prints nothing when all are valid.
"use strict";
const fs = require("node:fs");
const [graphqlDir, schemaPath] = process.argv.slice(2);
const { buildClientSchema, parse, validate } = require(graphqlDir);
const introspection = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const schema = buildClientSchema(introspection.data || introspection);
const documents = JSON.parse(fs.readFileSync(0, "utf8"));
for (const { name, query } of documents) {
  let doc;
  try {
    doc = parse(query);
  } catch (e) {
    console.log(`${name}: syntax: ${e.message}`);
    continue;
  }
  for (const e of validate(schema, doc)) {
    const at = (e.locations || []).map((l) => `${l.line}:${l.column}`).join(", ");
    console.log(`${name}: ${e.message} (at ${at})`);
  }
}
