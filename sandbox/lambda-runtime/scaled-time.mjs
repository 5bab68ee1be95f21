// Preloaded (`node --import`) into a handler process to run its clock on the sandbox's: shifted to
// the sandbox's date and `scale` times faster, in step with a sandbox clock of the same scale: CARETAKER_TIME="<awsMs>,<realMs>,<scale>" says
// that at real epoch `realMs` the sandbox's time was `awsMs`. Date, Date.now and timer delays are
// scaled; nothing else changes. A scale above 1 lets a 15-minute Lambda budget, EC2's
// minutes-long state changes and AWS's 5-per-second DeleteSnapshot bucket play in seconds.
const [awsMs, realMs, scale] = (process.env.CARETAKER_TIME ?? '').split(',').map(Number);
if (scale > 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const now = () => awsMs + (realNow() - realMs) * scale;
  class ScaledDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
  }
  globalThis.Date = ScaledDate;
  const scaled = (timer) => (fn, ms, ...args) => timer(fn, Math.max(0, Number(ms ?? 0)) / scale, ...args);
  globalThis.setTimeout = scaled(globalThis.setTimeout);
  globalThis.setInterval = scaled(globalThis.setInterval);
}
