import type { NormalizedSchema } from '@smithy/core/schema';
import type { Protocol } from './schemas';
import { escapeXml, writeXmlMembers } from './xml-writer';

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Writes an operation's output as AWS's XML response (members named and nested by the output
 * schema, see ./xml-writer.ts), wrapped the way each protocol wraps it:
 * - ec2Query: `<OpResponse xmlns><requestId/>…members…</OpResponse>`
 * - awsQuery: `<OpResponse xmlns><OpResult>…</OpResult><ResponseMetadata><RequestId/>…`
 * - restXml: the output structure itself is the document (members bound to headers go to headers).
 */
export function encodeXmlOutput(
  protocol: Exclude<Protocol, 'awsJson1_1'>,
  operation: string,
  output: NormalizedSchema,
  value: Record<string, unknown>,
  xmlNamespace: string,
  requestId: string,
): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  if (output.isStructSchema()) {
    for (const [name, member] of output.structIterator()) {
      const traits = member.getMergedTraits();
      if (value[name] === undefined || value[name] === null) continue;
      if (protocol === 'restXml' && typeof traits.httpHeader === 'string') headers[traits.httpHeader] = String(value[name]);
      else if (!(protocol === 'restXml' && traits.httpResponseCode)) body[name] = value[name];
    }
  }
  const members: string[] = [];
  if (output.isStructSchema()) writeXmlMembers(output, body, members);
  const xmlns = ` xmlns="${escapeXml(xmlNamespace)}"`;
  let xml: string;
  if (protocol === 'restXml') {
    const root = (output.getMergedTraits().xmlName as string | undefined) ?? output.getName();
    xml = `<${root}${xmlns}>${members.join('')}</${root}>`;
  } else if (protocol === 'ec2Query') {
    xml = `<${operation}Response${xmlns}><requestId>${escapeXml(requestId)}</requestId>${members.join('')}</${operation}Response>`;
  } else {
    xml =
      `<${operation}Response${xmlns}><${operation}Result>${members.join('')}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${operation}Response>`;
  }
  return { body: PROLOG + xml, headers };
}

/**
 * An error document as each protocol answers it: EC2 `<Response><Errors><Error><Code>`, awsQuery
 * and restXml `<ErrorResponse><Error><Type><Code><Message>`. The SDK takes the error's name from
 * `Code`, its fault from the HTTP status.
 */
export function encodeXmlError(protocol: Exclude<Protocol, 'awsJson1_1'>, code: string, message: string, status: number, requestId: string): string {
  const fields = `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>`;
  if (protocol === 'ec2Query') return `${PROLOG}<Response><Errors><Error>${fields}</Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`;
  const type = `<Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>`;
  return `${PROLOG}<ErrorResponse><Error>${type}${fields}</Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
}
