using System;
using System.Globalization;
using Engram.Core;
using Engram.Storage.Sql;

namespace Engram.StressWorker
{
    /// <summary>
    /// engram-stress-worker &lt;store&gt; &lt;workerId&gt; &lt;count&gt; &lt;namespace&gt; &lt;key&gt;:
    /// writes "w{id}-{i}" to the key <c>count</c> times, then one value to "own-{id}"; prints "done".
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length != 5)
            {
                Console.Error.WriteLine("usage: engram-stress-worker <root> <workerId> <count> <namespace> <key>");
                return 2;
            }
            try
            {
                var root = args[0];
                var id = args[1];
                int count = int.Parse(args[2], NumberStyles.None, CultureInfo.InvariantCulture);
                var ns = args[3];
                var key = args[4];
                var store = EngramBackends.Open(root, null, new EngramStoreOptions { LockTimeout = TimeSpan.FromSeconds(60) });
                for (int i = 0; i < count; i++)
                {
                    var r = store.Set(new SetRequest(ns, key, $"w{id}-{i}") { Actor = "worker-" + id, Reason = "stress " + i });
                    if (!r.Changed) throw new InvalidOperationException($"write {i} of worker {id} reported no change");
                }
                store.Set(new SetRequest(ns, "own-" + id, "owned by " + id) { Actor = "worker-" + id });
                (store as IDisposable)?.Dispose();
                Console.WriteLine("done");
                return 0;
            }
            catch (Exception ex)
            {
                if (ex is EngramException ee) Console.Error.Write("[" + ee.ErrorId + "] ");
                Console.Error.WriteLine(ex.ToString());
                return 1;
            }
        }
    }
}
