using System;
using System.Globalization;
using Engram.Core;

namespace Engram.CrashWorker
{
    /// <summary>
    /// engram-crash-worker &lt;root&gt; &lt;count&gt; [&lt;start&gt;]: for i = start .. start+count-1, forks namespace
    /// <c>shared</c> into branch <c>b{i}</c>, sets <c>k{i % 5}</c> to i on it, merges it into main (Theirs), removes the
    /// branch, then prints <c>ack {i}</c> and flushes. Meant to be killed at a random moment.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length < 2 || args.Length > 3)
            {
                Console.Error.WriteLine("usage: engram-crash-worker <root> <count> [<start>]");
                return 2;
            }
            try
            {
                var root = args[0];
                long count = long.Parse(args[1], NumberStyles.None, CultureInfo.InvariantCulture);
                long start = args.Length > 2 ? long.Parse(args[2], NumberStyles.None, CultureInfo.InvariantCulture) : 1;
                var store = new EngramStore(root, new EngramStoreOptions { LockTimeout = TimeSpan.FromSeconds(60) });
                var stdout = Console.Out;
                for (long i = start; i < start + count; i++)
                {
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
