package workbooks

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster/importer"
)

// SampleOptions says which sample WriteSample makes.
type SampleOptions struct {
	Employees int   // how many employees; the other sheets grow with it
	Errors    int   // how many known bad cells to put in, each making exactly one problem
	Seed      int64 // the same options give the same workbook, byte for byte in its cells

	// SharedStrings keeps the text of the cells in a shared-strings table,
	// each distinct text once, as Excel saves a workbook; otherwise each
	// text is inline in its cell. The cells are the same either way.
	SharedStrings bool
}

// MaxSampleEmployees is the most employees a sample can have: one sheet
// holds at most 1,048,575 rows below its header.
const MaxSampleEmployees = maxSheetRows - 1

// WriteSample writes a realistic, made-up workbook in the template's
// format, all seven sheets, sized by o.Employees (N):
//
//   - Areas: max(3, N/2000), codes "001", "002", … (text with leading zeros);
//   - Departments: max(5, N/200), codes like "ENG0001", each in an area;
//   - Designations: 32 titles, codes "DS01"…; the last 4 are held by nobody;
//   - Employees: N, IDs "E000001"… (text), names from lists of first and
//     last names, unique emails first.last.N@example.com, phones, joining
//     dates as date cells;
//   - Schedules: a week of shifts for every employee (7 rows each; fewer
//     days when 7 would not fit one sheet: 3 for N = 300,000), dates as
//     date cells and times as time cells, night shifts ending next morning
//     (22:00 to 06:00);
//   - Drivers: max(1, N/10), every tenth employee, unique licence numbers;
//   - Car Assignments: one car for each driver but the last twentieth.
//
// With o.Errors = K, exactly K bad cells are spread over the sheets, each
// making exactly one problem and nothing else: the kinds below are used in
// turn, each on a row of its own, on rows that nothing refers to where the
// cell is a key (so no reference breaks). Row 2 (the first data row) is
// never changed, so its values can be repeated:
//
//   - Areas: a Name left empty (required);
//   - Departments: an Area Code that is no area ("X99");
//   - Designations: a Code repeating row 2's, on a designation nobody holds;
//   - Employees: an Email without "@";
//   - Schedules: a Date "31/02/2024";
//   - Drivers: a License No repeating row 2's;
//   - Car Assignments: Seats 150;
//   - Employees: a Department Code that is no department ("XXX9999");
//   - Schedules: a Shift End "25:00";
//   - Drivers: an Employee ID repeating row 2's, on a driver without a car;
//   - Car Assignments: a Driver Employee ID of an employee who is no driver;
//   - Employees: a Joining Date "2024-02-30";
//   - Schedules: an Employee ID nobody has ("X" and 7 digits);
//   - Drivers: a License Expiry "next year";
//   - Car Assignments: a Plate No repeating row 2's;
//   - Employees: an Email repeating row 2's;
//   - Designations: a Title left empty (required).
//
// The other cells are the same whatever K is, so a sample with errors
// differs from the one without only in its bad cells. K larger than the
// sample has room for is an error (a sample of 200 employees has room for
// a few hundred).
func WriteSample(w io.Writer, o SampleOptions) error {
	if o.Employees < 1 || o.Employees > MaxSampleEmployees {
		return fmt.Errorf("a sample has from 1 to %d employees, not %d", MaxSampleEmployees, o.Employees)
	}
	if o.Errors < 0 {
		return fmt.Errorf("the number of errors cannot be negative (%d)", o.Errors)
	}
	s := &sampler{o: o, z: sampleSizesFor(o.Employees)}
	s.idWidth = max(6, len(strconv.Itoa(o.Employees)))
	var err error
	if s.faults, err = planFaults(s.z, o.Errors, o.Seed); err != nil {
		return err
	}
	s.makeLists()

	if !o.SharedStrings {
		return s.write(w)
	}
	inline, err := os.CreateTemp("", "roster-sample-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(inline.Name())
	defer inline.Close()
	if err := s.write(inline); err != nil {
		return err
	}
	return toSharedStrings(w, inline)
}

// write writes the sample with its text inline.
func (s *sampler) write(w io.Writer) error {
	o := s.o
	b := newBook()
	defer b.close()
	plans := s.sheets()
	for i, sh := range importer.Sheets {
		plan, ok := plans[sh.Step]
		if !ok {
			return fmt.Errorf("the sample has no rows for sheet %q", sh.Name)
		}
		rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(i+1)))
		if err := s.writeSheet(b, sh, plan.rows, rng, plan.fill); err != nil {
			return err
		}
	}
	return b.writeTo(w)
}

// samplePlan is how one sheet of a sample is made: how many rows, and
// what each row holds.
type samplePlan struct {
	rows int
	fill func(rng *rand.Rand, i int, r *sampleRow)
}

// sheets plans every sheet of the sample, by step. A sheet added to
// importer.Sheets needs a plan here.
func (s *sampler) sheets() map[importer.StepKey]samplePlan {
	return map[importer.StepKey]samplePlan{
		importer.StepAreas:          {s.z.areas, s.area},
		importer.StepDepartments:    {s.z.departments, s.department},
		importer.StepDesignations:   {s.z.designations, s.designation},
		importer.StepEmployees:      {s.z.employees, s.employee},
		importer.StepSchedules:      {s.z.employees * s.z.days, s.schedule},
		importer.StepDrivers:        {s.z.drivers, s.driver},
		importer.StepCarAssignments: {s.z.cars, s.car},
	}
}

// sampleSizes are how many rows each sheet of a sample has.
type sampleSizes struct {
	areas, departments, designations, employees int
	days                                        int // schedules per employee
	drivers, cars                               int
}

func sampleSizesFor(n int) sampleSizes {
	drivers := max(1, n/10)
	return sampleSizes{
		areas:        max(3, n/2000),
		departments:  max(5, n/200),
		designations: len(designationTitles),
		employees:    n,
		days:         min(7, (maxSheetRows-1)/n),
		drivers:      drivers,
		cars:         drivers - drivers/20,
	}
}

// sampler makes the rows of one sample.
type sampler struct {
	o       SampleOptions
	z       sampleSizes
	idWidth int
	faults  map[importer.StepKey]map[int]int // data row (from 0) → index in sampleFaults

	areaNames  []string
	depts      []sampleDept
	usualShift int // of the employee whose schedules are being made
}

type sampleDept struct {
	code, name string
	area       int // index of its area; -1 for none
}

// sampleRow is the cells of one row being made, in the sheet's column
// order, set by field.
type sampleRow struct {
	sh    *importer.Sheet
	pos   map[string]int
	cells []any
}

func (r *sampleRow) set(field string, v any) {
	i, ok := r.pos[field]
	if !ok {
		panic("importer: no field " + field + " in sheet " + r.sh.Name)
	}
	r.cells[i] = v
}

func (s *sampler) writeSheet(b *book, sh *importer.Sheet, rows int, rng *rand.Rand, fill func(*rand.Rand, int, *sampleRow)) error {
	sw, err := b.contractSheet(sh)
	if err != nil {
		return err
	}
	r := &sampleRow{sh: sh, pos: map[string]int{}, cells: make([]any, len(sh.Columns))}
	for i, c := range sh.Columns {
		r.pos[c.Field] = i
	}
	faults := s.faults[sh.Step]
	var first []any
	for i := range rows {
		clear(r.cells)
		fill(rng, i, r)
		if i == 0 {
			first = slices.Clone(r.cells)
		}
		if fi, ok := faults[i]; ok {
			f := sampleFaults[fi]
			at := r.pos[f.field]
			r.cells[at] = f.bad(s, i, first[at], r.cells[at])
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+2), r.cells); err != nil {
			return fmt.Errorf("sample sheet %q row %d: %w", sh.Name, i+2, err)
		}
	}
	return sw.Flush()
}

// makeLists makes the areas and departments the employees belong to.
func (s *sampler) makeLists() {
	rng := rand.New(rand.NewPCG(uint64(s.o.Seed), 0))
	for i := range s.z.areas {
		name := placeNames[i%len(placeNames)]
		if round := i / len(placeNames); round > 0 {
			name += " " + areaParts[(round-1)%len(areaParts)]
			if round > len(areaParts) {
				name += " " + strconv.Itoa(round/len(areaParts)+1)
			}
		}
		s.areaNames = append(s.areaNames, name)
	}
	for i := range s.z.departments {
		d := departmentNames[rng.IntN(len(departmentNames))]
		area := i % s.z.areas
		if rng.IntN(20) == 0 {
			area = -1 // a department not tied to one area
		}
		s.depts = append(s.depts, sampleDept{
			code: fmt.Sprintf("%s%04d", d.abbr, i+1),
			name: d.name + ", " + s.areaNames[i%s.z.areas],
			area: area,
		})
	}
}

func areaCode(i int) string { return fmt.Sprintf("%03d", i+1) }

func (s *sampler) employeeID(i int) string { return fmt.Sprintf("E%0*d", s.idWidth, i+1) }

// driverEmployee is the employee of driver d: drivers are spread evenly
// over the employees, every tenth.
func (s *sampler) driverEmployee(d int) int { return d * s.z.employees / s.z.drivers }

func (s *sampler) area(_ *rand.Rand, i int, r *sampleRow) {
	r.set("code", areaCode(i))
	r.set("name", s.areaNames[i])
}

func (s *sampler) department(_ *rand.Rand, i int, r *sampleRow) {
	d := s.depts[i]
	r.set("code", d.code)
	r.set("name", d.name)
	if d.area >= 0 {
		r.set("area_code", areaCode(d.area))
	}
}

func (s *sampler) designation(_ *rand.Rand, i int, r *sampleRow) {
	r.set("code", fmt.Sprintf("DS%02d", i+1))
	r.set("title", designationTitles[i])
}

// unheldDesignations is how many designations, the last ones, nobody
// holds yet.
const unheldDesignations = 4

func (s *sampler) employee(rng *rand.Rand, i int, r *sampleRow) {
	first := firstNames[rng.IntN(len(firstNames))]
	last := lastNames[rng.IntN(len(lastNames))]
	d := rng.IntN(len(s.depts))
	r.set("employee_id", s.employeeID(i))
	r.set("full_name", first+" "+last)
	r.set("email", fmt.Sprintf("%s.%s.%d@example.com", emailPart(first), emailPart(last), i+1))
	if rng.IntN(10) > 0 {
		r.set("phone", fmt.Sprintf("+44 7700 900%03d", rng.IntN(1000)))
	}
	r.set("department_code", s.depts[d].code)
	r.set("designation_code", fmt.Sprintf("DS%02d", rng.IntN(s.z.designations-unheldDesignations)+1))
	switch n := rng.IntN(20); {
	case n < 2: // no area
	case n < 3:
		r.set("area_code", areaCode(rng.IntN(s.z.areas)))
	default:
		if s.depts[d].area >= 0 {
			r.set("area_code", areaCode(s.depts[d].area))
		}
	}
	r.set("joining_date", sampleDate(time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC), rng.IntN(17*365)))
}

// emailPart is a name as the local part of an address: lower case
// letters only ("O'Brien" is "obrien").
func emailPart(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return -1
	}, name)
}

// shifts are the shifts of the sample, with how often each is worked.
var shifts = []struct{ start, end, weight int }{
	{6 * 60, 14 * 60, 3},       // early
	{9 * 60, 17*60 + 30, 4},    // day
	{14 * 60, 22 * 60, 2},      // late
	{22 * 60, 6 * 60, 1},       // night, ending the next morning
	{7*60 + 30, 19*60 + 30, 1}, // long day
}

var (
	shiftWeights = func() (n int) {
		for _, s := range shifts {
			n += s.weight
		}
		return n
	}()
	weekStart = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC) // a Monday
)

func pickShift(rng *rand.Rand) int {
	n := rng.IntN(shiftWeights)
	for i, s := range shifts {
		if n < s.weight {
			return i
		}
		n -= s.weight
	}
	return 0
}

// schedule makes row i of the Schedules sheet: the days of one employee
// follow each other, mostly on the employee's usual shift.
func (s *sampler) schedule(rng *rand.Rand, i int, r *sampleRow) {
	e, day := i/s.z.days, i%s.z.days
	if day == 0 {
		s.usualShift = pickShift(rng)
	}
	sh := s.usualShift
	if rng.IntN(5) == 0 {
		sh = pickShift(rng) // a swap
	}
	r.set("employee_id", s.employeeID(e))
	r.set("date", sampleDate(weekStart, day))
	r.set("shift_start", timeSerial(shifts[sh].start))
	r.set("shift_end", timeSerial(shifts[sh].end))
}

func (s *sampler) driver(rng *rand.Rand, d int, r *sampleRow) {
	r.set("employee_id", s.employeeID(s.driverEmployee(d)))
	r.set("license_no", fmt.Sprintf("DL-%02d-%07d", rng.IntN(90)+10, d+1))
	r.set("license_expiry", sampleDate(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), rng.IntN(6*365)))
}

func (s *sampler) car(rng *rand.Rand, c int, r *sampleRow) {
	m := carModels[rng.IntN(len(carModels))]
	letters := func(n, v int) string {
		b := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			b[i] = byte('A' + v%26)
			v /= 26
		}
		return string(b)
	}
	// Two random letters, then the car's number in two digits and three
	// letters, so that every plate differs.
	r.set("plate_no", fmt.Sprintf("%s%02d %s", letters(2, rng.IntN(26*26)), c%100, letters(3, c/100)))
	if rng.IntN(20) > 0 {
		r.set("car_model", m.name)
	}
	if rng.IntN(20) > 0 {
		r.set("seats", m.seats)
	}
	r.set("driver_employee_id", s.employeeID(s.driverEmployee(c)))
	if rng.IntN(10) > 0 {
		r.set("assigned_from", sampleDate(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), rng.IntN(3*365)))
	}
}

// sampleDate is a date cell: the serial day number of from plus days
// (the column's style shows it as a date).
func sampleDate(from time.Time, days int) any {
	n, _ := dateSerial(from.AddDate(0, 0, days))
	return n
}

// ---- bad cells ----

// sampleFault is one kind of bad cell a sample can have.
type sampleFault struct {
	step  importer.StepKey
	field string
	rows  func(z sampleSizes) (lo, hi int) // the data rows (from 0) it may go in
	bad   func(s *sampler, row int, first, good any) any
}

// sampleFaults are the kinds of bad cells, in the order they are used;
// WriteSample's doc lists them.
var sampleFaults = []sampleFault{
	{importer.StepAreas, "name", rowsAfterFirst(func(z sampleSizes) int { return z.areas }), empty},
	{importer.StepDepartments, "area_code", rowsAfterFirst(func(z sampleSizes) int { return z.departments }), value("X99")},
	{importer.StepDesignations, "code", unheld, sameAsFirst},
	{importer.StepEmployees, "email", employeeRows, func(_ *sampler, _ int, _, good any) any {
		return strings.Replace(good.(string), "@", ".", 1)
	}},
	{importer.StepSchedules, "date", scheduleRows, value("31/02/2024")},
	{importer.StepDrivers, "license_no", driverRows, sameAsFirst},
	{importer.StepCarAssignments, "seats", carRows, value(150)},
	{importer.StepEmployees, "department_code", employeeRows, value("XXX9999")},
	{importer.StepSchedules, "shift_end", scheduleRows, value("25:00")},
	{importer.StepDrivers, "employee_id", driversWithoutCar, sameAsFirst},
	{importer.StepCarAssignments, "driver_employee_id", carsOfSpreadDrivers, func(s *sampler, row int, _, _ any) any {
		return s.employeeID(s.driverEmployee(row) + 1) // between two drivers, so no driver
	}},
	{importer.StepEmployees, "joining_date", employeeRows, value("2024-02-30")},
	{importer.StepSchedules, "employee_id", scheduleRows, func(_ *sampler, row int, _, _ any) any {
		return fmt.Sprintf("X%07d", row) // no employee's; different on each row, so no key repeats
	}},
	{importer.StepDrivers, "license_expiry", driverRows, value("next year")},
	{importer.StepCarAssignments, "plate_no", carRows, sameAsFirst},
	{importer.StepEmployees, "email", employeeRows, sameAsFirst},
	{importer.StepDesignations, "title", rowsAfterFirst(func(z sampleSizes) int { return z.designations }), empty},
}

func rowsAfterFirst(n func(sampleSizes) int) func(sampleSizes) (int, int) {
	return func(z sampleSizes) (int, int) { return 1, n(z) }
}

var (
	employeeRows = rowsAfterFirst(func(z sampleSizes) int { return z.employees })
	scheduleRows = rowsAfterFirst(func(z sampleSizes) int { return z.employees * z.days })
	driverRows   = rowsAfterFirst(func(z sampleSizes) int { return z.drivers })
	carRows      = rowsAfterFirst(func(z sampleSizes) int { return z.cars })
)

// unheld are the designations nobody holds: their code can change without
// breaking a reference.
func unheld(z sampleSizes) (int, int) {
	return max(1, z.designations-unheldDesignations), z.designations
}

// driversWithoutCar are the drivers no car refers to.
func driversWithoutCar(z sampleSizes) (int, int) { return max(1, z.cars), z.drivers }

// carsOfSpreadDrivers are the cars whose driver's next employee is no
// driver: all of them once there are two employees or more a driver.
func carsOfSpreadDrivers(z sampleSizes) (int, int) {
	if z.employees/z.drivers < 2 {
		return 0, 0
	}
	return 1, z.cars
}

func empty(*sampler, int, any, any) any { return nil }

func sameAsFirst(_ *sampler, _ int, first, _ any) any { return first }

func value(v any) func(*sampler, int, any, any) any {
	return func(*sampler, int, any, any) any { return v }
}

// planFaults chooses the row of each of k bad cells: the kinds in turn,
// each on a row of its sheet that has no other, at random but the same for
// the same seed.
func planFaults(z sampleSizes, k int, seed int64) (map[importer.StepKey]map[int]int, error) {
	plan := map[importer.StepKey]map[int]int{}
	rng := rand.New(rand.NewPCG(uint64(seed), 0xbad))
	for placed := 0; placed < k; {
		before := placed
		for fi, f := range sampleFaults {
			if placed == k {
				break
			}
			if plan[f.step] == nil {
				plan[f.step] = map[int]int{}
			}
			lo, hi := f.rows(z)
			row, ok := freeRow(rng, lo, hi, plan[f.step])
			if !ok {
				continue
			}
			plan[f.step][row] = fi
			placed++
		}
		if placed == before {
			return nil, fmt.Errorf("a sample of %d employees has room for %d bad cells, not %d", z.employees, placed, k)
		}
	}
	return plan, nil
}

// freeRow picks a row in [lo, hi) not used yet.
func freeRow(rng *rand.Rand, lo, hi int, used map[int]int) (int, bool) {
	if hi <= lo {
		return 0, false
	}
	n := hi - lo
	for range 32 {
		if r := lo + rng.IntN(n); !has(used, r) {
			return r, true
		}
	}
	start := rng.IntN(n)
	for i := range n {
		if r := lo + (start+i)%n; !has(used, r) {
			return r, true
		}
	}
	return 0, false
}

func has(m map[int]int, k int) bool {
	_, ok := m[k]
	return ok
}

// ---- names ----

var firstNames = []string{
	"Amara", "Liam", "Sofia", "Noah", "Aisha", "Mateo", "Chloe", "Arjun", "Mei", "Lucas",
	"Fatima", "Oliver", "Yuki", "Ethan", "Zara", "Diego", "Hannah", "Kwame", "Ingrid", "Omar",
	"Priya", "Jack", "Elena", "Tariq", "Grace", "Hiroshi", "Nadia", "Samuel", "Leila", "Finn",
	"Ana", "Kofi", "Isabel", "Ravi", "Emma", "Jonas", "Layla", "Marco", "Chen", "Aoife",
	"Daniel", "Nia", "Pavel", "Rosa", "Sipho", "Freya", "Ahmed", "Lucia", "Tomás", "Mira",
	"Gabriel", "Ama", "Henrik", "Sana", "Victor", "Julia", "Emeka", "Sara", "Ibrahim", "Maya",
}

var lastNames = []string{
	"Okafor", "Smith", "García", "Nguyen", "Khan", "Müller", "Rossi", "Patel", "Kim", "Silva",
	"Johnson", "Haddad", "Novak", "Mensah", "O'Brien", "Kowalski", "Tanaka", "Dubois", "Ahmed", "Jensen",
	"Fernández", "Chen", "Williams", "Ivanova", "Costa", "Singh", "Moreau", "Abebe", "Larsen", "Hughes",
	"Yilmaz", "Santos", "Murphy", "Schmidt", "Wang", "Adeyemi", "Lindqvist", "Brown", "Sato", "Mwangi",
	"Romero", "Taylor", "Nakamura", "Petrov", "Walsh", "Ali", "Bianchi", "Okonkwo", "Martin", "Lopez",
}

var placeNames = []string{
	"North Harbour", "Riverside", "Old Town", "Eastgate", "Westfield", "Hillcrest", "Lakeside",
	"Southbank", "Kingsway", "Meadowbrook", "Stonebridge", "Bayview", "Ashford", "Greenhill",
	"Millbrook", "Northgate", "Port Marin", "Cedar Park", "Highfield", "Elmwood", "Brookside",
	"Fairview", "Redcliff", "Sandown", "Thornbury", "Oakridge", "Silverton", "Winterby",
}

var areaParts = []string{"North", "South", "East", "West", "Central", "Docks", "Airport", "Industrial"}

var departmentNames = []struct{ abbr, name string }{
	{"ENG", "Engineering"}, {"FIN", "Finance"}, {"HRS", "Human Resources"}, {"OPS", "Operations"},
	{"SAL", "Sales"}, {"MKT", "Marketing"}, {"LOG", "Logistics"}, {"CSV", "Customer Service"},
	{"ITS", "IT Services"}, {"LEG", "Legal"}, {"PRC", "Procurement"}, {"QAS", "Quality Assurance"},
	{"SEC", "Security"}, {"FAC", "Facilities"}, {"RND", "Research"}, {"TRN", "Transport"},
}

var designationTitles = []string{
	"Software Engineer", "Senior Software Engineer", "Engineering Manager", "Accountant",
	"Financial Analyst", "HR Generalist", "Recruiter", "Operations Coordinator", "Shift Supervisor",
	"Sales Executive", "Account Manager", "Marketing Specialist", "Logistics Planner",
	"Warehouse Associate", "Customer Service Agent", "Team Lead", "IT Support Technician",
	"Systems Administrator", "Legal Counsel", "Buyer", "Quality Inspector", "Security Officer",
	"Facilities Technician", "Research Scientist", "Driver", "Fleet Coordinator", "Data Analyst",
	"Project Manager",
	// Held by nobody (unheldDesignations).
	"Intern", "Apprentice", "Graduate Trainee", "Consultant",
}

var carModels = []struct {
	name  string
	seats int
}{
	{"Toyota Corolla", 5}, {"Toyota HiAce", 12}, {"Ford Transit", 9}, {"Mercedes-Benz Sprinter", 16},
	{"Honda Odyssey", 7}, {"Volkswagen Passat", 5}, {"Kia Carnival", 8}, {"Hyundai Staria", 9},
	{"Skoda Octavia", 5}, {"Isuzu Journey", 29},
}
