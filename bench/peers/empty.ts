// Intentionally empty: `raw.node.startup.tsx` times node starting with the tsx loader, running this file, and exiting.
export {};
