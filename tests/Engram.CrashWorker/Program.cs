using System;
using System.Globalization;
using Engram.Core;

namespace Engram.CrashWorker
{
    /// <summary>
    /// engram-crash-worker &lt;root&gt; &lt;count&gt; [&lt;start&gt;]: for i = start .. start+count-1, forks namespace
    /// <c>shared</c> into branch <c>b{i}</c>, sets <c>k{i % 5}</c> to i on it, merges it into main (Theirs), removes the
    /// branch, then prints <c>ack {i}</c> and flushes. Meant to be killed at a random moment.
    /// <para>engram-crash-worker &lt;root&gt; &lt;count&gt; &lt;start&gt; sets: for each i, three plain writes instead — a new
    /// memory <c>shared/n{i}</c> (its history starts: <c>shared</c> is tracked), a new memory <c>session/u{i}</c> with
    /// -TrackProvenance (an untracked namespace), and a revision of <c>shared/k{i % 5}</c> — then <c>ack {i}</c>.</para>
    /// <para>engram-crash-worker &lt;root&gt; &lt;count&gt; &lt;start&gt; batch: the same three writes, in one batch
    /// (<see cref="IEngramStore.SetMany"/>: one write session, one journal transaction), then <c>ack {i}</c>.</para>
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length < 2 || args.Length > 4 || (args.Length == 4 && args[3] != "sets" && args[3] != "batch"))
            {
                Console.Error.WriteLine("usage: engram-crash-worker <root> <count> [<start> [sets|batch]]");
                return 2;
            }
            try
            {
                var root = args[0];
                long count = long.Parse(args[1], NumberStyles.None, CultureInfo.InvariantCulture);
                long start = args.Length > 2 ? long.Parse(args[2], NumberStyles.None, CultureInfo.InvariantCulture) : 1;
                var store = new EngramStore(root, new EngramStoreOptions { LockTimeout = TimeSpan.FromSeconds(60) });
                var stdout = Console.Out;
                bool sets = args.Length == 4 && args[3] == "sets", batch = args.Length == 4 && args[3] == "batch";
                for (long i = start; i < start + count; i++)
                {
                    var n = i.ToString(CultureInfo.InvariantCulture);
                    if (batch)
                    {
                        var outcomes = store.SetMany(new[]
                        {
                            new SetRequest("shared", "n" + n, i) { Actor = "crash-worker" },
                            new SetRequest("session", "u" + n, i) { Actor = "crash-worker", TrackProvenance = true },
                            new SetRequest("shared", "k" + (i % 5).ToString(CultureInfo.InvariantCulture), i) { Actor = "crash-worker" },
                        });
                        foreach (var o in outcomes) if (o.Error != null) throw o.Error;
                        stdout.WriteLine("ack " + n);
                        stdout.Flush();
                        continue;
                    }
                    if (sets)
                    {
                        store.Set(new SetRequest("shared", "n" + n, i) { Actor = "crash-worker" });
                        store.Set(new SetRequest("session", "u" + n, i) { Actor = "crash-worker", TrackProvenance = true });
                        store.Set(new SetRequest("shared", "k" + (i % 5).ToString(CultureInfo.InvariantCulture), i) { Actor = "crash-worker" });
                        stdout.WriteLine("ack " + n);
                        stdout.Flush();
                        continue;
                    }
                    var branch = "b" + i.ToString(CultureInfo.InvariantCulture);
                    var key = "k" + (i % 5).ToString(CultureInfo.InvariantCulture);
                    store.Fork("shared", branch, null, "crash-worker", "iteration " + i);
                    store.Set(new SetRequest("shared", key, i) { Branch = branch, Actor = "crash-worker" });
                    store.Merge("shared", branch, MergeStrategy.Theirs, "crash-worker", "iteration " + i);
                    store.RemoveBranch("shared", branch);
                    stdout.WriteLine("ack " + i.ToString(CultureInfo.InvariantCulture));
                    stdout.Flush();
                }
                return 0;
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(ex.ToString());
                return 1;
            }
        }
    }
}
