export * from './clock.js';
export * from './virtual-clock.js';
export * from './clock.module.js';
export * from './quiet-hours.js';
export * from './zone-cache.js';

import { installZoneCache } from './zone-cache.js';
// Every process that works with local times loads this library: luxon's zones remember their offsets from here on.
installZoneCache();
