import { XmlNode } from '@aws-sdk/xml-builder';
import { XmlShapeSerializer } from '@aws-sdk/core/protocols';
import type { NormalizedSchema } from '@smithy/core/schema';
import type { Protocol } from './schemas';

type StructWriter = { writeStruct(ns: NormalizedSchema, value: unknown, parentXmlns: string | undefined): XmlNode };

/**
 * Writes an operation's output as AWS's XML response, with the SDK's own XmlShapeSerializer (the
 * one that writes restXml request bodies: same `xmlName` / `item` list / flattening rules the
 * XmlShapeDeserializer reads), wrapped the way each protocol wraps it:
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
  const serializer = new XmlShapeSerializer({ timestampFormat: { useTrait: true, default: 5 }, httpBindings: protocol === 'restXml', xmlNamespace } as never);
  const struct = output.isStructSchema() ? (serializer as unknown as StructWriter).writeStruct(output, body, undefined) : XmlNode.of(`${operation}Result`);
  let root: XmlNode;
  if (protocol === 'restXml') {
    root = struct;
  } else if (protocol === 'ec2Query') {
    root = XmlNode.of(`${operation}Response`).addChildNode(XmlNode.of('requestId', requestId));
    for (const child of struct.children) root.addChildNode(child as XmlNode);
  } else {
    root = XmlNode.of(`${operation}Response`)
      .addChildNode(struct.withName(`${operation}Result`))
      .addChildNode(XmlNode.of('ResponseMetadata').addChildNode(XmlNode.of('RequestId', requestId)));
  }
  root.addAttribute('xmlns', xmlNamespace);
  return { body: `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}`, headers };
}

/**
 * An error document as each protocol answers it: EC2 `<Response><Errors><Error><Code>`, awsQuery
 * and restXml `<ErrorResponse><Error><Type><Code><Message>`. The SDK takes the error's name from
 * `Code`, its fault from the HTTP status.
 */
export function encodeXmlError(protocol: Exclude<Protocol, 'awsJson1_1'>, code: string, message: string, status: number, requestId: string): string {
  const error = XmlNode.of('Error');
  if (protocol !== 'ec2Query') error.addChildNode(XmlNode.of('Type', status >= 500 ? 'Receiver' : 'Sender'));
  error.addChildNode(XmlNode.of('Code', code)).addChildNode(XmlNode.of('Message', message));
  const root =
    protocol === 'ec2Query'
      ? XmlNode.of('Response').addChildNode(XmlNode.of('Errors').addChildNode(error)).addChildNode(XmlNode.of('RequestID', requestId))
      : XmlNode.of('ErrorResponse').addChildNode(error).addChildNode(XmlNode.of('RequestId', requestId));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}`;
}
