import { staysClean } from './clean.js';

staysClean('gup-pin');
