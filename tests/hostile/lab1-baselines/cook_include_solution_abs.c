/* hostile: cook.c is nothing but an #include of the reference solution by absolute path:
 *          every test of the file passes with code the student never wrote
 * replaces: cook.c
 * expect: build cook.c build error
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: cook::null_dish
 */
#include "/work/main/solutions/lab1-baselines/cook.c"
