import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

type Stubs<T> = { [K in keyof T]: T[K] extends { prototype: infer C } ? AwsClientStub<C> : never };

/**
 * aws-sdk-client-mock stubs of these SDK client classes (every instance answers through its class's stub), reset
 * before each test of the file that calls this, ahead of the file's own beforeEach.
 */
export function mockSdkClients<T extends Record<string, { prototype: object }>>(clients: T): Stubs<T> {
  const stubs = Object.entries(clients).map(([name, client]) => [name, mockClient(client as never)] as const);
  beforeEach(() => stubs.forEach(([, stub]) => stub.reset()));
  return Object.fromEntries(stubs) as Stubs<T>;
}
