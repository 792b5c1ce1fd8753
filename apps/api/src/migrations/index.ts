import { CreateLinks1764380000000 } from './1764380000000-create-links.js';

/** Every migration, in order. Listed as classes (not a glob) so a bundled build finds them. */
export const migrations = [CreateLinks1764380000000];
