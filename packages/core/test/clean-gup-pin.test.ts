import { staysClean } from './clean.js';

staysClean('gup-pin', { generated: 'its kernel-thread writer has no mm for get_user_pages: a kernel-bug by design (strategies.test.ts)' });
