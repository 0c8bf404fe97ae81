package bench

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on every Linux platform Go
// supports).
const clockTicks = 100

// dbUsage is what the database has done so far for one benchmark database.
type dbUsage struct {
	cpu       time.Duration // CPU of its backends (0 when PostgreSQL runs elsewhere)
	xacts     int64         // committed + rolled back transactions
	rowsWrite int64         // rows inserted + updated + deleted
}

// dbUsageOf reads pg_stat_database and the CPU of the PostgreSQL backends serving database
// name (from /proc: only when PostgreSQL runs on this machine). Shared processes (WAL writer,
// checkpointer) are not counted. Errors leave zeros: these numbers are informational.
func dbUsageOf(ctx context.Context, adminURL, name string) dbUsage {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := adminConnect(ctx, adminURL)
	if err != nil {
		return dbUsage{}
	}
	defer func() { _ = conn.Close(ctx) }()
	var u dbUsage
	_ = conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted
		FROM pg_stat_database WHERE datname = $1`, name).Scan(&u.xacts, &u.rowsWrite)
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
	if err != nil {
		return u
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return u
	}
	for _, pid := range pids {
		u.cpu += processCPU(int(pid))
	}
	return u
}

// processCPU is utime+stime of a process, 0 when it cannot be read.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may contain spaces; the fields after its ")" are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state); utime and stime are fields 14 and 15
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseUint(string(f[11]), 10, 64)
	stime, _ := strconv.ParseUint(string(f[12]), 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// redisUsage is what Redis has done so far (the whole server: other clients count too).
type redisUsage struct {
	cpu      time.Duration // CPU of the redis-server process (0 when it runs elsewhere)
	commands int64         // total_commands_processed
}

// redisUsageOf reads INFO: the command count, and the server's pid whose CPU /proc shows when
// Redis runs on this machine. Errors leave zeros: these numbers are informational.
func redisUsageOf(ctx context.Context, rdb *redis.Client) redisUsage {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := rdb.Info(ctx, "server", "stats").Result()
	if err != nil {
		return redisUsage{}
	}
	var u redisUsage
	for line := range strings.Lines(info) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch k {
		case "process_id":
			if pid, err := strconv.Atoi(v); err == nil {
				u.cpu = processCPU(pid)
			}
		case "total_commands_processed":
			u.commands, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return u
}
