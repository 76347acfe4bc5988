import { staysClean } from './clean.js';

staysClean('two-copy');
