import { describe, expect, it } from '@jest/globals';
import { requestLabels } from './http-metrics.middleware.js';

describe('what an HTTP request is counted as', () => {
  it('names the route template, never the URL with its ids', () => {
    expect(requestLabels({ method: 'GET', route: { path: '/api/patients/:id' } }, 200)).toEqual({ method: 'GET', route: '/api/patients/:id', status: '200' });
    expect(requestLabels({ method: 'POST', route: { path: '/api/appointments' } }, 409)).toEqual({ method: 'POST', route: '/api/appointments', status: '409' });
  });

  it('puts answers without a route (web app pages, assets, 404s) and odd methods in one series each', () => {
    expect(requestLabels({ method: 'GET', route: undefined }, 404)).toEqual({ method: 'GET', route: '(no route)', status: '404' });
    expect(requestLabels({ method: 'PROPFIND', route: undefined }, 404)).toEqual({ method: 'OTHER', route: '(no route)', status: '404' });
  });
});
