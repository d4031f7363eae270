module.exports = () => { require('ts-node').register({ transpileOnly: true }); require('./programs').compileTestPrograms(); };
