package importer

import (
	"strings"
)

// Kind says how a cell is read and checked.
type Kind int

const (
	KindCode  Kind = iota // an ID or code: text exactly as Excel displays it
	KindText              // free text, trimmed
	KindEmail             // one @, a dot in the domain; stored lower-case
	KindDate              // a date cell or YYYY-MM-DD text; stored as YYYY-MM-DD
	KindTime              // a time cell or HH:MM text; stored as HH:MM
	KindSeats             // a whole number from 1 to 99
)

// Column is one column of a sheet as the contract defines it.
type Column struct {
	Header   string // as shown in the template
	Field    string // the database column
	Required bool
	Kind     Kind
}

// Ref says that a column's value must be the key of a row of another
// sheet, found in the same workbook or already in the database.
type Ref struct {
	Field string // the referring column
	To    StepKey
}

// Sheet is one sheet of the workbook and the table it fills.
type Sheet struct {
	Step    StepKey
	Name    string // as in the template
	Table   string
	Columns []Column
	Key     []string // fields that identify a row
	Unique  []string // fields that no two rows may share (besides the key)
	Refs    []Ref
}

// Fields lists the database columns in sheet order.
func (s *Sheet) Fields() []string {
	f := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		f[i] = c.Field
	}
	return f
}

// Column returns the column with the given field.
func (s *Sheet) Column(field string) Column {
	for _, c := range s.Columns {
		if c.Field == field {
			return c
		}
	}
	panic("importer: no field " + field + " in sheet " + s.Name)
}

// Sheets is the workbook of the contract, in step order.
var Sheets = []*Sheet{
	{
		Step: StepAreas, Name: "Areas", Table: "areas",
		Columns: []Column{
			{"Code", "code", true, KindCode},
			{"Name", "name", true, KindText},
		},
		Key: []string{"code"},
	},
	{
		Step: StepDepartments, Name: "Departments", Table: "departments",
		Columns: []Column{
			{"Code", "code", true, KindCode},
			{"Name", "name", true, KindText},
			{"Area Code", "area_code", false, KindCode},
		},
		Key:  []string{"code"},
		Refs: []Ref{{"area_code", StepAreas}},
	},
	{
		Step: StepDesignations, Name: "Designations", Table: "designations",
		Columns: []Column{
			{"Code", "code", true, KindCode},
			{"Title", "title", true, KindText},
		},
		Key: []string{"code"},
	},
	{
		Step: StepEmployees, Name: "Employees", Table: "employees",
		Columns: []Column{
			{"Employee ID", "employee_id", true, KindCode},
			{"Full Name", "full_name", true, KindText},
			{"Email", "email", true, KindEmail},
			{"Phone", "phone", false, KindText},
			{"Department Code", "department_code", true, KindCode},
			{"Designation Code", "designation_code", true, KindCode},
			{"Area Code", "area_code", false, KindCode},
			{"Joining Date", "joining_date", false, KindDate},
		},
		Key:    []string{"employee_id"},
		Unique: []string{"email"},
		Refs: []Ref{
			{"department_code", StepDepartments},
			{"designation_code", StepDesignations},
			{"area_code", StepAreas},
		},
	},
	{
		Step: StepSchedules, Name: "Schedules", Table: "schedules",
		Columns: []Column{
			{"Employee ID", "employee_id", true, KindCode},
			{"Date", "date", true, KindDate},
			{"Shift Start", "shift_start", true, KindTime},
			{"Shift End", "shift_end", true, KindTime},
		},
		Key:  []string{"employee_id", "date", "shift_start"},
		Refs: []Ref{{"employee_id", StepEmployees}},
	},
	{
		Step: StepDrivers, Name: "Drivers", Table: "drivers",
		Columns: []Column{
			{"Employee ID", "employee_id", true, KindCode},
			{"License No", "license_no", true, KindCode},
			{"License Expiry", "license_expiry", true, KindDate},
		},
		Key:    []string{"employee_id"},
		Unique: []string{"license_no"},
		Refs:   []Ref{{"employee_id", StepEmployees}},
	},
	{
		Step: StepCarAssignments, Name: "Car Assignments", Table: "car_assignments",
		Columns: []Column{
			{"Plate No", "plate_no", true, KindCode},
			{"Car Model", "car_model", false, KindText},
			{"Seats", "seats", false, KindSeats},
			{"Driver Employee ID", "driver_employee_id", true, KindCode},
			{"Assigned From", "assigned_from", false, KindDate},
		},
		Key:  []string{"plate_no"},
		Refs: []Ref{{"driver_employee_id", StepDrivers}},
	},
}

// SheetFor returns the sheet of a step.
func SheetFor(step StepKey) *Sheet {
	for _, s := range Sheets {
		if s.Step == step {
			return s
		}
	}
	panic("importer: unknown step " + string(step))
}

// Normalize makes sheet and header names comparable: case, surrounding
// and repeated inner spaces and a trailing "*" (the template's mark for
// required) do not count.
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	name = strings.TrimSuffix(name, "*")
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}
