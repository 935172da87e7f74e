// `raw.fork.roundtrip`: a `child_process.fork` child that sends back every IPC message it gets
// (default JSON serialization), and exits when its parent disconnects (closes the IPC channel,
// or dies).
process.on('message', (message) => process.send(message));
process.on('disconnect', () => process.exit(0));
