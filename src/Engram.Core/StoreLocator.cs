using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Engram.Core
{
    /// <summary>Where a store lives when the caller does not say: $ENGRAM_STORE, else a per-user data folder.</summary>
    public static class StoreLocator
    {
        public const string StoreVariable = "ENGRAM_STORE";
        public const string ActorVariable = "ENGRAM_ACTOR";

        /// <summary>
        /// The default store root: <c>$ENGRAM_STORE</c> if set; else <c>%LOCALAPPDATA%\Engram</c> on Windows,
        /// <c>$XDG_DATA_HOME/engram</c> or <c>~/.local/share/engram</c> elsewhere.
        /// </summary>
        public static string DefaultRoot()
        {
            var fromEnv = Environment.GetEnvironmentVariable(StoreVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv!;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                return Path.Combine(local, "Engram");
            }
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(xdg!, "engram");
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrWhiteSpace(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home!, ".local", "share", "engram");
        }

        /// <summary>The default actor: <c>$ENGRAM_ACTOR</c>, else the OS user name.</summary>
        public static string DefaultActor()
        {
            var fromEnv = Environment.GetEnvironmentVariable(ActorVariable);
            return string.IsNullOrWhiteSpace(fromEnv) ? Environment.UserName : fromEnv!.Trim();
        }
    }
}
