export { writeConfig } from '../../apps/gateway/src/config/config-fixtures.spec-helper';
