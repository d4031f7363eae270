import { isJsonMediaType } from './media-type';

describe('isJsonMediaType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'Application/JSON',
    ' application/json ; charset=utf-8',
    'application/problem+json',
    'application/vnd.api+json; charset=utf-8',
    'application/merge-patch+json',
  ])('accepts %j', (type) => expect(isJsonMediaType(type)).toBe(true));

  it.each([
    undefined,
    '',
    'text/plain',
    'text/plain;charset=UTF-8',
    'text/plain; x=application/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'text/json',
    'application/jsonx',
    'application/json5',
    'application/+json',
    'application/a b+json',
    'application/json, text/plain',
    'text/plain, application/json',
    'application/x+json/x',
    'json',
  ])('refuses %j', (type) => expect(isJsonMediaType(type)).toBe(false));
});
