import { CreateLinks1764380000000 } from './1764380000000-create-links.js';
import { CreateApiKeys1795916550122 } from './1795916550122-create-api-keys.js';
import { CreateClickFlushes1796000000000 } from './1796000000000-create-click-flushes.js';

/** Every migration, in order. Listed as classes (not a glob) so a bundled build finds them. */
export const migrations = [CreateLinks1764380000000, CreateApiKeys1795916550122, CreateClickFlushes1796000000000];
