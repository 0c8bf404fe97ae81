package sqlite

import (
	"context"
	"fmt"
	"time"
)

// checkSealedColumn allows only the columns the conformance suite may read or overwrite raw.
func checkSealedColumn(table, column string) error {
	switch table + "." + column {
	case "messages.content_enc", "sessions.user_agent_enc", "sessions.page_url_enc", "accounts.totp_secret_enc":
		return nil
	}
	return fmt.Errorf("no sealed column %s.%s", table, column)
}

// SetSchemaVersionForTest records version as applied, to fake a database from a newer binary.
func (s *Store) SetSchemaVersionForTest(ctx context.Context, version int) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, toDB(time.Now()))
	return err
}

// RawSealedForTest returns the stored bytes of a sealed column.
func (s *Store) RawSealedForTest(ctx context.Context, table, column, id string) ([]byte, error) {
	if err := checkSealedColumn(table, column); err != nil {
		return nil, err
	}
	var b []byte
	err := s.read.QueryRowContext(ctx, `SELECT `+column+` FROM `+table+` WHERE id = ?`, id).Scan(&b)
	return b, err
}

// SetRawSealedForTest overwrites the stored bytes of a sealed column.
func (s *Store) SetRawSealedForTest(ctx context.Context, table, column, id string, sealed []byte) error {
	if err := checkSealedColumn(table, column); err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ?`, sealed, id)
	if err != nil {
		return err
	}
	return expectRow(res)
}

// ExecForTest runs one statement on the writer, to check what the schema itself refuses.
func (s *Store) ExecForTest(ctx context.Context, query string) error {
	_, err := s.write.ExecContext(ctx, query)
	return err
}
