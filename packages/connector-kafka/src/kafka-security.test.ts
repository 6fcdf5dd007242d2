import { describe, expect, it } from 'vitest';
import { checkKafkaSecurity } from './kafka-security.ts';
import { KafkaSink } from './api/kafka-sink.ts';
import { KafkaSource } from './api/kafka-source.ts';

describe('checkKafkaSecurity', () => {
  it('keeps valid settings, making file paths absolute', () => {
    expect(checkKafkaSecurity({ protocol: 'PLAINTEXT' }, 'x')).toEqual({ protocol: 'PLAINTEXT' });
    const checked = checkKafkaSecurity({ protocol: 'SASL_SSL', sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: { file: 'pw' } }, ssl: { caFile: 'ca.pem', verifyServerName: false } }, 'x');
    expect(checked.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'u', password: { file: `${process.cwd()}/pw` } });
    expect(checked.ssl).toEqual({ caFile: `${process.cwd()}/ca.pem`, verifyServerName: false });
    expect(checkKafkaSecurity({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: { env: 'U' }, password: { env: 'P' } } }, 'x').sasl?.username).toEqual({ env: 'U' });
  });

  it('refuses a password given as a string without repeating it', () => {
    const attempt = () => checkKafkaSecurity({ protocol: 'SASL_SSL', sasl: { mechanism: 'PLAIN', username: 'u', password: 'hunter2' } }, 'KafkaSink.setSecurity');
    expect(attempt).toThrow(/KafkaSink.setSecurity: sasl password must be given by reference, \{ env: 'VARIABLE_NAME' \} or \{ file: '\/path\/to\/file' \}/);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('names what is wrong: protocol, mechanism, missing or misplaced settings', () => {
    expect(() => checkKafkaSecurity({ protocol: 'TLS' }, 'x')).toThrow(/security protocol must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
    expect(() => checkKafkaSecurity({ protocol: 'SASL_SSL' }, 'x')).toThrow(/SASL_SSL needs sasl/);
    expect(() => checkKafkaSecurity({ protocol: 'SSL', sasl: {} }, 'x')).toThrow(/sasl settings need security protocol SASL_SSL or SASL_PLAINTEXT/);
    expect(() => checkKafkaSecurity({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'u', password: { env: 'P' } }, ssl: {} }, 'x')).toThrow(/ssl settings need security protocol SSL or SASL_SSL/);
    expect(() => checkKafkaSecurity({ protocol: 'SASL_SSL', sasl: { mechanism: 'GSSAPI', username: 'u', password: { env: 'P' } } }, 'x')).toThrow(/mechanism must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
    expect(() => checkKafkaSecurity({ protocol: 'SASL_SSL', sasl: { mechanism: 'PLAIN', password: { env: 'P' } } }, 'x')).toThrow(/needs a username/);
    expect(() => checkKafkaSecurity({ protocol: 'SASL_SSL', sasl: { mechanism: 'PLAIN', username: 'u', password: { env: 'NOT A NAME' } } }, 'x')).toThrow(/must name an environment variable/);
    expect(() => checkKafkaSecurity({ protocol: 'SSL', ssl: { certFile: 'c.pem' } }, 'x')).toThrow(/certFile and keyFile go together/);
    expect(() => checkKafkaSecurity({ protocol: 'SSL', ssl: { truststore: 'x' } }, 'x')).toThrow(/ssl has no setting 'truststore'/);
    expect(() => checkKafkaSecurity({ protocol: 'SSL', tls: {} }, 'x')).toThrow(/security has no setting 'tls'/);
  });

  it('is what both builders check and write into the job graph', () => {
    expect(() => KafkaSource.builder().setSecurity({ protocol: 'SASL_SSL' })).toThrow(/KafkaSource.setSecurity: security protocol SASL_SSL needs sasl/);
    expect(() => KafkaSink.builder().setSecurity({ protocol: 'SSL', ssl: { keyFile: 'k' } })).toThrow(/KafkaSink.setSecurity: ssl certFile and keyFile go together/);
    const security = { protocol: 'SASL_SSL', sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password: { env: 'KAFKA_PASSWORD' } } } as const;
    const source = KafkaSource.builder().setBootstrapServers('a:1').setTopics('t').setSecurity(security).build();
    expect(source.config.security).toEqual(security);
  });
});
