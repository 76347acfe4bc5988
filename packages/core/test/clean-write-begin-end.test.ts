import { staysClean } from './clean.js';

// As 2.6.24 shipped it: clean on every scenario of the thread; generated finds its one bug (verdicts.test.ts).
staysClean('write-begin-end', { generated: 'reaches the STALE block a failed short write leaves past EOF' });
