# The same cmdlets on the file and SQLite backends (PostgreSQL runs in the xunit backend contract): what a user
# sees must not depend on the backend.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'On the <Kind> backend' -ForEach @(@{ Kind = 'File' }, @{ Kind = 'Sqlite' }) {
    BeforeEach { $store = New-TestStore -Kind $Kind }

    It 'names its backend in Get-EngramStore' {
        Set-EngramMemory -Store $store shared a 1
        (Get-EngramStore -Store $store).Backend | Should -Be $Kind.ToLowerInvariant()
    }

    It 'round-trips typed values' {
        Set-EngramMemory -Store $store shared cfg @{ port = 8080; on = $true; when = [datetime]'2026-01-15' }
        $v = (Get-EngramMemory -Store $store shared cfg).Value
        $v.port | Should -BeOfType [int]
        $v.on | Should -BeTrue
        $v.when | Should -BeOfType [datetime]
    }

    It 'keeps the provenance chain' {
        Set-EngramMemory -Store $store shared k 1 -Actor alice
        Set-EngramMemory -Store $store shared k 2 -Actor bob
        $p = Get-EngramProvenance -Store $store shared k
        $p.Actor | Should -Be @('alice', 'bob')
        $p[1].PrevHash | Should -Be $p[0].Hash
        Test-EngramProvenance -Store $store shared -Quiet | Should -BeTrue
    }

    It 'lists with wildcards and sorts' {
        'b-2', 'a-1', 'b-1' | ForEach-Object { Set-EngramMemory -Store $store session $_ 0 }
        (Get-EngramMemory -Store $store session b-* | Sort-Object Key).Key | Should -Be @('b-1', 'b-2')
    }

    It 'forks and merges' {
        Set-EngramMemory -Store $store shared plan 'v1'
        $null = New-EngramFork -Store $store shared -Branch alt
        Set-EngramMemory -Store $store shared plan 'v2' -Branch alt
        (Merge-EngramBranch -Store $store shared -Branch alt -Confirm:$false).Merged | Should -Be 'plan'
        (Get-EngramMemory -Store $store shared plan).Value | Should -Be 'v2'
    }

    It 'removes with -WhatIf keeping, then for real' {
        Set-EngramMemory -Store $store session tmp 1
        Remove-EngramMemory -Store $store session tmp -WhatIf
        Get-EngramMemory -Store $store session tmp | Should -Not -BeNullOrEmpty
        Remove-EngramMemory -Store $store session tmp -Confirm:$false
        { Get-EngramMemory -Store $store session tmp -ErrorAction Stop } | Should -Throw -ErrorId 'MemoryNotFound,*'
    }

    It 'passes Test-EngramStore' {
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store session b 2
        Test-EngramStore -Store $store -Quiet | Should -BeTrue
    }

    It 'exports the same JSON shape' {
        Set-EngramMemory -Store $store shared k 'v' -Actor alice
        $e = Export-EngramProvenance -Store $store shared k -Format Json | ConvertFrom-Json
        $e.action | Should -Be 'created'
        $e.actor | Should -Be 'alice'
        $e.contentHash | Should -Match '^sha256:'
    }

    It 'refuses the reserved namespace the same way' {
        { Set-EngramMemory -Store $store _provenance x 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ReservedNamespace,*'
    }

    It 'answers Get-EngramNamespace' {
        Set-EngramMemory -Store $store project-x a 1
        (Get-EngramNamespace -Store $store -Name project-x).MemoryCount | Should -Be 1
    }
}

Describe 'Backend-independent hashes' {
    It 'gives the same content hash for the same value on both backends' {
        $file = New-TestStore -Kind File
        $sqlite = New-TestStore -Kind Sqlite
        foreach ($s in $file, $sqlite) { Set-EngramMemory -Store $s shared k @{ a = 1; b = 'two' } }
        (Get-EngramProvenance -Store $sqlite shared k).ContentHash | Should -Be (Get-EngramProvenance -Store $file shared k).ContentHash
    }

    It 'keeps the SQLite store in one file' {
        $sqlite = New-TestStore -Kind Sqlite
        Set-EngramMemory -Store $sqlite shared k 1
        $sqlite.Substring('sqlite:'.Length) | Should -Exist
    }
}
