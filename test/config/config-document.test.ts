import { propsConfigDocument } from '../../src/config/config-document';
import { renderRegistryConfig } from '../../src/config/registry-config';
import { LogFormat } from '../../src/registry-deployment-props';

describe('the part of config.yml the props render', () => {
  const lifecycle = { drainTimeout: '60s', healthCheck: { enabled: true, interval: '5s', threshold: 2 } } as any;

  test('log, http (address, URL, drain, headers) and health only: storage, auth, TLS and metrics are contributions', () => {
    const rendered = renderRegistryConfig(propsConfigDocument({ port: 5000, externalUrl: 'https://r.example.com', logFormat: LogFormat.JSON, lifecycle }));
    expect(rendered).toEqual({
      version: '0.1',
      log: { level: 'info', formatter: 'json', fields: { service: 'registry' } },
      http: { addr: ':5000', host: 'https://r.example.com', draintimeout: '60s', headers: { 'X-Content-Type-Options': ['nosniff'] } },
      health: { storagedriver: { enabled: true, interval: '5s', threshold: 2 } },
    });
    // The http keys in the reference's order, so that tls and debug (contributed later) follow headers.
    expect(Object.keys(rendered.http)).toEqual(['addr', 'host', 'draintimeout', 'headers']);
  });

  test('no health section without the storage health check; unset keys are left out', () => {
    const rendered = renderRegistryConfig(propsConfigDocument({ port: 5000, lifecycle: { drainTimeout: undefined } as any }));
    expect(Object.keys(rendered)).toEqual(['version', 'log', 'http']);
    expect(rendered.http).toEqual({ addr: ':5000', headers: { 'X-Content-Type-Options': ['nosniff'] } });
  });
});
