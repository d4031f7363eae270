export { configErrorOf } from '../../apps/gateway/src/config/config-fixtures.spec-helper';
