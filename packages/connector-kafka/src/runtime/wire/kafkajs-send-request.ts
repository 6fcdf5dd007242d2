// Sends a request whose body this package encodes itself (Fetch, Produce)
// over a kafkajs Broker's connections, so kafkajs still owns connecting,
// authentication (SASL), correlation ids, timeouts and reconnects. kafkajs
// 2.2.4 (its last release) keeps the send in a private method named by a
// Symbol ('private:Broker:sendRequest'), which also drops the connection
// when the broker closed it; it is looked up once by that name.

/** A request encoded here: the body after the request header. */
export interface RawRequest<T> {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  body: Buffer;
  /** Decodes the response body (after the correlation id). */
  decode: (payload: Buffer) => T;
  /** At least this long before kafkajs gives up on the answer (it keeps its own request timeout when longer). */
  timeoutMs?: number;
  /** acks=0 produce: the broker sends nothing back. */
  expectResponse?: boolean;
}

interface KafkajsProtocolRequest {
  request: {
    apiKey: number;
    apiVersion: number;
    apiName: string;
    expectResponse: () => boolean;
    encode: () => Promise<{ buf: Buffer; buffer: Buffer }>;
  };
  response: { decode: (payload: Buffer) => Promise<unknown>; parse: (decoded: unknown) => Promise<unknown> };
  requestTimeout?: number;
}

type SendMethod = (this: object, request: KafkajsProtocolRequest) => Promise<unknown>;
let sendSymbol: symbol | undefined;

function sendMethodOf(broker: object): SendMethod {
  if (sendSymbol === undefined) {
    const proto = Object.getPrototypeOf(broker) as object;
    sendSymbol = Object.getOwnPropertySymbols(proto).find((s) => s.description === 'private:Broker:sendRequest');
  }
  const method = sendSymbol === undefined ? undefined : (broker as Record<symbol, unknown>)[sendSymbol];
  if (typeof method !== 'function') throw new Error('kafkajs has no private Broker send method: the Kafka connector needs kafkajs 2.x (npm install kafkajs@^2.2.4)');
  return method as SendMethod;
}

/** Sends `request` through `broker` (a kafkajs Broker) and returns the decoded response. */
export async function sendRequest<T>(broker: object, request: RawRequest<T>): Promise<T> {
  const send = sendMethodOf(broker);
  const body = request.body;
  const expect = request.expectResponse ?? true;
  const result = await send.call(broker, {
    request: {
      apiKey: request.apiKey,
      apiVersion: request.apiVersion,
      apiName: request.apiName,
      expectResponse: () => expect,
      // kafkajs copies `buffer` after its request header (Encoder.writeEncoder checks `buf`).
      encode: async () => ({ buf: body, buffer: body }),
    },
    response: { decode: async (payload: Buffer) => request.decode(payload), parse: async (decoded: unknown) => decoded },
    ...(request.timeoutMs !== undefined ? { requestTimeout: request.timeoutMs } : {}),
  });
  return result as T;
}
