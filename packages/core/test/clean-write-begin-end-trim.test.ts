import { staysClean } from './clean.js';

staysClean('write-begin-end-trim');
